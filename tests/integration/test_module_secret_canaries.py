# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Secret canaries for every module: a unique value planted in each `no_log` option never
shows up in what ansible-playbook prints at -vvv with --diff, in a real run, a check-mode run
or a failing task, nor does a secret a module returns (an API key, a service-account token).

The planted options are derived from the modules' own argument specs (every option, at any
depth, marked no_log): a new secret option fails test_every_secret_option_gets_a_canary until
a task here plants it. The tasks run against real zot and real authentik on loopback.
The roles' secrets are covered beside their own tests (reliability scenario for zot,
test_dex_client, test_containerd_mirror, test_authentik_client).
"""

import importlib
import json
import pathlib
import uuid

import pytest

from tests.support.playbook import run_tasks
from tests.support.policies import role_default_access_control

pytestmark = pytest.mark.integration

MODULES = pathlib.Path(__file__).resolve().parents[2] / "plugins" / "modules"


def canary(label):
    return "canary-%s-%s" % (label, uuid.uuid4().hex)


class _Captured(Exception):
    """Raised by the stand-in AnsibleModule to hand back the argument spec it was given."""


def argument_spec(module_name):
    """The argument spec module_name's main() builds (it stops before doing anything), or
    the action plugin's for a module that runs on the controller only."""
    module = importlib.import_module("ansible_collections.zotops.registry.plugins.modules." + module_name)
    if not hasattr(module, "AnsibleModule"):
        action = importlib.import_module("ansible_collections.zotops.registry.plugins.action." + module_name)
        return action.ARGUMENT_SPEC

    def capture(argument_spec, **_unused):
        raise _Captured(argument_spec)

    original = module.AnsibleModule
    module.AnsibleModule = capture
    try:
        module.main()
    except _Captured as captured:
        return captured.args[0]
    finally:
        module.AnsibleModule = original
    raise AssertionError("%s.main() built no AnsibleModule" % module_name)


def secret_paths(spec, prefix=""):
    """Dotted paths of the no_log options of an argument spec, suboptions included."""
    paths = set()
    for name, option in spec.items():
        if option.get("no_log"):
            paths.add(prefix + name)
        if option.get("options"):
            paths |= secret_paths(option["options"], prefix + name + ".")
    return paths


def canary_paths(args, prefix=""):
    """Dotted paths of the task arguments that hold a canary."""
    paths = set()
    for name, value in args.items():
        if isinstance(value, dict):
            paths |= canary_paths(value, prefix + name + ".")
        elif isinstance(value, str) and value.startswith("canary-"):
            paths.add(prefix + name)
    return paths


USERS = {name: canary(name) for name in ("ci", "admin", "prometheus", "outsider")}
POLICY = role_default_access_control({"artifact-workloads": ["ci"], "artifact-admins": ["admin"]})
AUTHENTIK_TOKEN = canary("authentik-token")
CLIENT_SECRET = canary("client-secret")


def registry_tasks(url):
    """Each registry module logging in with canary passwords (succeeding), and failing."""
    ci = {"url": url, "username": "ci", "password": USERS["ci"]}
    return [
        {"zotops.registry.zot_api_key": dict(ci, label="ci-push")},
        {
            "zotops.registry.zot_api_key": {"url": url, "username": "ci", "session": canary("session")},
            "ignore_errors": True,
        },
        {"zotops.registry.oci_tag_guard": dict(ci, repository="apps/canary", tags=["v1.0.0"])},
        {
            "zotops.registry.oci_tag_guard": dict(
                ci, password=canary("wrong"), repository="apps/canary", tags=["v1.0.0"]
            ),
            "ignore_errors": True,
        },
        {
            "zotops.registry.zot_registry_check": {
                "url": url,
                "username": "admin",
                "password": USERS["admin"],
                "access_control": POLICY,
                "pusher": {"username": "ci", "password": USERS["ci"]},
                "metrics": {"username": "prometheus", "password": USERS["prometheus"]},
                "bystander": {"username": "outsider", "password": USERS["outsider"]},
                "fail_delay": 1,
            }
        },
        {
            "zotops.registry.zot_registry_check": {
                "url": url,
                "access_control": POLICY,
                "pusher": {"username": "ci", "password": canary("wrong-pusher")},
                "admin": {"username": "admin", "password": USERS["admin"]},
                "checks": ["pusher_push"],
            },
            "ignore_errors": True,
        },
    ]


def authentik_tasks(url):
    """Each Authentik module with the canary API token (succeeding), and with a wrong one."""
    api = {"url": url, "token": AUTHENTIK_TOKEN}
    # Names of their own: the session's one authentik is shared with other tests.
    return [
        {"zotops.registry.authentik_group": dict(api, name="leak-check-workloads")},
        {"zotops.registry.authentik_service_account": dict(api, name="leak-check-ci")},
        {
            "zotops.registry.authentik_group_member": dict(
                api, group="leak-check-workloads", username="leak-check-ci"
            )
        },
        {
            "zotops.registry.authentik_oauth2_provider": dict(
                api,
                name="leak-check",
                client_id="leak-check",
                client_secret=CLIENT_SECRET,
                redirect_uris=[{"url": "https://zot.example.test/zot/auth/callback/oidc"}],
            )
        },
        {
            "zotops.registry.authentik_application": dict(
                api, slug="leak-check", name="leak-check", provider="leak-check"
            )
        },
        {
            "zotops.registry.authentik_group": {"url": url, "token": canary("wrong-token"), "name": "x"},
            "ignore_errors": True,
        },
    ]


@pytest.fixture
def registry(tmp_path, start_registry, htpasswd_line):
    config = {
        "http": {
            "auth": {"htpasswd": {"path": "htpasswd"}, "failDelay": 1, "apikey": True},
            "accessControl": POLICY,
        },
        "log": {"level": "info"},
        "extensions": {"metrics": {"enable": True, "prometheus": {"path": "/metrics"}}},
    }
    htpasswd = "".join(htpasswd_line(user, password) + "\n" for user, password in USERS.items())
    return start_registry(tmp_path / "zot", config, {"htpasswd": htpasswd})


def every_task(registry, authentik):
    return registry_tasks(registry.url) + authentik_tasks(authentik.url)


def module_of(task):
    """(module name, its arguments) of a task."""
    key = next(key for key in task if key.startswith("zotops.registry."))
    return key.split(".")[-1], task[key]


def test_every_secret_option_gets_a_canary():
    planted = {}
    for task in registry_tasks("http://x") + authentik_tasks("http://x"):
        name, args = module_of(task)
        planted.setdefault(name, set()).update(canary_paths(args))
    derived = {path.stem: secret_paths(argument_spec(path.stem)) for path in sorted(MODULES.glob("*.py"))}
    assert planted == {name: paths for name, paths in derived.items() if paths}


@pytest.fixture(scope="module")
def canary_token_authentik(authentik):
    """The session's authentik, also accepting the canary API token."""
    if authentik.one("/core/tokens/", identifier="leak-check-api") is None:
        authentik.api_token("leak-check-api", AUTHENTIK_TOKEN)
    return authentik


# The check run comes first: on a fresh authentik it predicts creating everything.
@pytest.mark.parametrize("check", [True, False], ids=["check", "run"])
def test_no_canary_leaves_through_output(tmp_path, registry, canary_token_authentik, check):
    authentik = canary_token_authentik
    tasks = every_task(registry, authentik)
    if check:  # in a dry run later tasks miss what earlier ones would have created
        tasks = [dict(task, ignore_errors=True) for task in tasks]
    results, run = run_tasks(tmp_path, tasks, check=check, diff=True, verbose=3)

    returned = []
    if not check:
        # Every task succeeded with the planted secrets but the ones meant to fail.
        for task, result in zip(tasks, results, strict=True):
            assert bool(result.get("failed")) == bool(task.get("ignore_errors")), (module_of(task)[0], result)
        # What the modules return as secrets: the new API key and the service account's token.
        returned = [results[0]["api_key"], results[7]["token"]]
        assert all(returned)
    planted = [value for task in tasks for value in _values(task)]
    for value in planted + returned:
        assert value not in run.output, "a secret shows in the -vvv --diff output"
    for value in planted:  # results hold only the secrets a module returns on purpose
        assert value not in json.dumps(results), "a planted secret is in a registered result"
    assert "Authentik refused the token (HTTP 403)" in run.output  # failing tasks still say why


def _values(node):
    if isinstance(node, dict):
        return [value for item in node.values() for value in _values(item)]
    if isinstance(node, list):
        return [value for item in node for value in _values(item)]
    return [node] if isinstance(node, str) and node.startswith("canary-") else []

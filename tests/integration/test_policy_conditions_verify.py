# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""CEL conditions the engine refuses are exactly those real zot v2.1.20 refuses at start.

Each expression is put in a policy entry and in adminPolicy.conditions, `zot verify` judges
the config, and validate_access_control must name the condition's JSON path as an error
iff zot refuses it.
"""

import json
import subprocess

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._policy.engine import validate_access_control
from harness import zot as zot_process

pytestmark = pytest.mark.integration

EXPRESSIONS = [
    ('req.tag.startsWith("v")', True),
    ('req.client.ip == "127.0.0.1" && req.action != "delete"', True),
    ('req.tag.lowerAscii() == "v1"', True),
    ('sets.contains(req.user.groups, ["ci"])', True),
    ('req.?tag.orValue("") != ""', True),
    ('req.time < timestamp("2030-01-01T00:00:00Z")', True),
    ("req.tag", True),  # dyn result: compiles, fails at evaluation
    ("req.tag ==", False),
    ('request.tag == "v1"', False),
    ('1 + "a"', False),
    ("nosuch(req.tag)", False),
    ('"a" == 1', False),
]


def verify(tmp_path, access_control):
    config = {
        "storage": {"rootDirectory": str(tmp_path / "storage")},
        "http": {
            "address": "127.0.0.1",
            "port": "5000",
            "auth": {"htpasswd": {"path": str(tmp_path / "htpasswd")}},
            "accessControl": access_control,
        },
    }
    (tmp_path / "htpasswd").write_text(zot_process.htpasswd_line("u", "pw-0123456789"))
    path = tmp_path / "zot.json"
    path.write_text(json.dumps(config))
    argv = [zot_process.binary(), "verify", str(path)]
    return subprocess.run(argv, capture_output=True, check=False, text=True, timeout=60)


@pytest.mark.parametrize("where", ["policy", "adminPolicy"])
@pytest.mark.parametrize(("expression", "compiles"), EXPRESSIONS)
def test_engine_refuses_what_zot_refuses(tmp_path, expression, compiles, where):
    condition = [{"expression": expression, "message": "denied"}]
    entry = {"users": ["u"], "actions": ["read"]}
    access_control = {"repositories": {"**": {"policies": [entry]}}}
    if where == "policy":
        entry["conditions"] = condition
        path = 'accessControl.repositories["**"].policies[0].conditions[0]'
    else:
        access_control["adminPolicy"] = {"users": ["u"], "actions": ["read"], "conditions": condition}
        path = "accessControl.adminPolicy.conditions[0]"
    zot = verify(tmp_path, access_control)
    zot_refuses = zot.returncode != 0
    assert zot_refuses == (not compiles), (zot.returncode, zot.stdout[-1500:], zot.stderr[-1500:])
    if zot_refuses:
        assert "compile access control policy conditions" in zot.stdout + zot.stderr
    refusals = [e for e in validate_access_control(access_control)[0] if "zot refuses to start" in e]
    assert bool(refusals) == zot_refuses, refusals
    assert all(e.startswith(path) for e in refusals)

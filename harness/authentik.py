# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Real authentik (its Python server and worker, from source) on loopback, for tests.

What cannot be downloaded here comes from $ZOTOPS_SHARED/authentik (default: ../shared beside
this checkout): the release's source, its pinned requirements and `authentik.sh`, whose `deps`,
`source` and `venv` steps build the venv and whose `env.sh` is the environment authentik runs
with. Everything built is cached outside the checkout, keyed by the release and the sha256 of
the requirements: the venv, a private PostgreSQL 15 cluster (unix socket only) and a migrated
template database with the bootstrap admin, its API token and the default flows. Each start
copies the template (`CREATE DATABASE ... TEMPLATE`), so no run migrates.

- build(): build or reuse the cache (scripts/setup.sh runs `python -m harness.authentik build`)
- start(workdir) -> Authentik with .url, .token, .version, .stop(); .get/.one/.patch/.post
  inspect or change its state through the API
"""

import hashlib
import itertools
import os
import pathlib
import signal
import subprocess
import sys
import time

import requests

from harness.process import free_port

VERSION = "2025.12.4"
ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED = pathlib.Path(os.environ.get("ZOTOPS_SHARED", ROOT.parent / "shared")) / "authentik"
REQUIREMENTS = SHARED / f"requirements-{VERSION}.txt"
PG_BIN = pathlib.Path("/usr/lib/postgresql/15/bin")
# The cluster runs as the postgres user, who cannot enter root's home: it lives here instead.
PG_CACHE = pathlib.Path("/var/cache/zotops/authentik")
TEMPLATE_DB = "authentik_template"
# The bootstrap token and admin password env.sh sets: test values, in the template database.
TOKEN = "test-bootstrap-token-0123456789"  # noqa: S105 - a throwaway test token
ADMIN_PASSWORD = "akadmin-test-password"  # noqa: S105 - a throwaway test password
# The flows the worker's default blueprints create; the modules and the role use these three.
DEFAULT_FLOWS = (
    "default-authentication-flow",
    "default-provider-authorization-implicit-consent",
    "default-provider-invalidation-flow",
)
# The blueprints that create those flows, the OAuth2 scope mappings and the default brand.
BLUEPRINTS = (
    "system/providers-oauth2.yaml",
    "default/flow-default-authentication-flow.yaml",
    "default/flow-default-provider-authorization-implicit-consent.yaml",
    "default/flow-default-provider-invalidation.yaml",
    "default/flow-default-invalidation-flow.yaml",
    "default/default-brand.yaml",
)
START_TIMEOUT = 600  # a loaded 2-core machine; 40-60 s when idle
_numbers = itertools.count(1)


def cache_root():
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    base = pathlib.Path(os.environ.get("ZOTOPS_CACHE", pathlib.Path.home() / ".cache" / "zotops"))
    return base / "authentik" / f"{VERSION}-{digest}"


def _pg(root):
    """The cluster's directory (data/, run/ for its socket, postgres.log) for a cache root."""
    return PG_CACHE / root.name


def _environment(root, port, extra=None):
    """env.sh's environment for this cache root and API port, then the harness's overrides."""
    script = 'source "$1" && env -0'
    base = dict(os.environ, AK_ROOT=str(root), AK_PORT=str(port))
    out = subprocess.run(  # noqa: S603 - fixed argv
        ["bash", "-c", script, "env", str(SHARED / "env.sh")], env=base, capture_output=True, check=True
    ).stdout
    env = dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    env.update(
        # The cluster's socket directory; the port only names the socket file (PostgreSQL's default).
        AUTHENTIK_POSTGRESQL__HOST=str(_pg(root) / "run"),
        AUTHENTIK_POSTGRESQL__PORT="5432",
        AUTHENTIK_BOOTSTRAP_TOKEN=TOKEN,
        AUTHENTIK_BOOTSTRAP_PASSWORD=ADMIN_PASSWORD,
    )
    env.update(extra or {})
    return env


def _as_postgres(*argv):
    subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", " ".join(argv)], check=True)  # noqa: S603


def _psql(root, sql):
    return subprocess.run(  # noqa: S603 - fixed argv
        ["psql", "-h", str(_pg(root) / "run"), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def ensure_postgres(root):
    """The private cluster initialised and running; True when this call started it."""
    data = _pg(root) / "data"
    (_pg(root) / "run").mkdir(parents=True, exist_ok=True)
    subprocess.run(["chown", "postgres:postgres", str(_pg(root)), str(_pg(root) / "run")], check=True)  # noqa: S603,S607
    if not (data / "PG_VERSION").exists():
        _as_postgres(
            f"{PG_BIN}/initdb", "-D", str(data), "-U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null"
        )
    status = subprocess.run(
        ["su", "postgres", "-s", "/bin/sh", "-c", f"{PG_BIN}/pg_ctl -D {data} status"],  # noqa: S603,S607
        capture_output=True,
        check=False,
    )
    if status.returncode == 0:
        return False
    _as_postgres(
        f"{PG_BIN}/pg_ctl",
        "-D",
        str(data),
        "-l",
        str(_pg(root) / "postgres.log"),
        "-w",
        f"-o \"-k {_pg(root) / 'run'} -c listen_addresses=''\"",
        "start >/dev/null",
    )
    return True


def stop_postgres(root):
    _as_postgres(f"{PG_BIN}/pg_ctl", "-D", str(_pg(root) / "data"), "-m fast -w stop >/dev/null")


def _has_database(root, name):
    return _psql(root, f"select 1 from pg_database where datname='{name}'") == "1"  # noqa: S608 - our own names


def build():
    """Build or reuse the venv and the template database; returns the cache root."""
    root = cache_root()
    env = dict(os.environ, AK_ROOT=str(root))
    # Both steps only check when their result is there (uv: a few seconds). Their output goes
    # to stderr: stdout is the cache root, for scripts/setup.sh.
    for step in ("source", "venv"):
        subprocess.run(["bash", str(SHARED / "authentik.sh"), step], env=env, check=True, stdout=sys.stderr)  # noqa: S603,S607
    stamp = _pg(root) / "template.done"  # the template lives in the cluster
    if stamp.exists():
        return root
    started = ensure_postgres(root)
    try:
        if _psql(root, "select 1 from pg_roles where rolname='authentik'") != "1":
            _psql(root, "create user authentik password 'authentik' createdb")
        if _has_database(root, TEMPLATE_DB):
            _psql(root, f"drop database {TEMPLATE_DB}")  # a half-built one from an interrupted build
        _psql(root, f"create database {TEMPLATE_DB} owner authentik")
        # Migrations, the bootstrap admin with its token (authentik.sh's migrate step) and the
        # default blueprints the tests need: the worker discovers blueprints but, here, did not
        # apply them within ten minutes.
        env = _environment(root, free_port(), {"AUTHENTIK_POSTGRESQL__NAME": TEMPLATE_DB})
        for argv in (
            ["python", "-m", "lifecycle.migrate"],
            ["python", "-m", "manage", "apply_blueprint", "system/bootstrap.yaml", *BLUEPRINTS],
        ):
            with open(root / "logs" / "template.log", "ab") as log:
                subprocess.run(
                    argv, cwd=env["AK_SRC"], env=env, stdout=log, stderr=subprocess.STDOUT, check=True
                )  # noqa: S603
        server = _start_processes(root, pathlib.Path(root / "logs"), TEMPLATE_DB)
        server.stop()
        stamp.write_text(VERSION + "\n")
    finally:
        if started:
            stop_postgres(root)
    return root


class Authentik:
    """A running authentik (server + worker) and an API session as its bootstrap admin."""

    def __init__(self, url, processes, root, database):
        self.url, self.token, self.version = url, TOKEN, VERSION
        self._processes, self._root, self._database = processes, root, database
        self.stops_postgres = False  # set by start() when it started the cluster
        self.http = requests.Session()
        self.http.headers["Authorization"] = "Bearer " + TOKEN

    def get(self, path, **params):
        resp = self.http.get(self.url + "/api/v3" + path, params=params, timeout=60)
        resp.raise_for_status()
        return resp.json()

    def one(self, path, **params):
        results = self.get(path, **params)["results"]
        assert len(results) <= 1
        return results[0] if results else None

    def patch(self, path, body):
        resp = self.http.patch(self.url + "/api/v3" + path, json=body, timeout=60)
        assert resp.status_code == 200, resp.text

    def post(self, path, body):
        resp = self.http.post(self.url + "/api/v3" + path, json=body, timeout=60)
        assert resp.status_code in (200, 201, 204), resp.text
        return resp.json() if resp.content else None

    def api_token(self, identifier, key, username="akadmin"):
        """An API token with this key for an existing user (set_key: tokens with a chosen value)."""
        user = self.one("/core/users/", username=username)
        self.post(
            "/core/tokens/",
            {"identifier": identifier, "intent": "api", "user": user["pk"], "expiring": False},
        )
        self.post(f"/core/tokens/{identifier}/set_key/", {"key": key})
        return key

    def stop(self):
        """Stop the worker and the server (SIGTERM to each process group), then drop the copy."""
        for process in self._processes:
            _stop_group(process)
        self._processes = []
        if self._database != TEMPLATE_DB:
            _psql(self._root, f"drop database if exists {self._database} with (force)")
        if self.stops_postgres:
            stop_postgres(self._root)


def _stop_group(process):
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _flows_present(url):
    try:
        resp = requests.get(
            url + "/api/v3/flows/instances/",
            params={"page_size": 100},
            headers={"Authorization": "Bearer " + TOKEN},
            timeout=10,
        )
    except requests.RequestException:
        return False
    if resp.status_code != 200:
        return False
    return set(DEFAULT_FLOWS) <= {flow["slug"] for flow in resp.json()["results"]}


def _start_processes(root, logs, database):
    """Server and worker on database, waited for until the default flows exist."""
    port = free_port()
    workdir = logs / f"authentik-{os.getpid()}-{next(_numbers)}"
    (workdir / "prometheus").mkdir(parents=True, exist_ok=True)
    env = _environment(
        root,
        port,
        {
            "AUTHENTIK_POSTGRESQL__NAME": database,
            "TMPDIR": str(workdir),
            "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prometheus"),
        },
    )
    # The worker's own health and metrics servers, off env.sh's fixed offsets from the API port.
    for name in ("HTTP", "METRICS", "DEBUG", "DEBUG_PY"):
        env[f"AUTHENTIK_LISTEN__{name}"] = f"127.0.0.1:{free_port()}"
    src = env["AK_SRC"]
    url = f"http://127.0.0.1:{port}"
    argvs = {
        "server": [
            "gunicorn",
            "-c",
            "lifecycle/gunicorn.conf.py",
            "-b",
            f"127.0.0.1:{port}",
            "authentik.root.asgi:application",
        ],
        "worker": ["python", "-m", "manage", "worker", "--pid-file", str(workdir / "worker.pid")],
    }
    processes = []
    for name, argv in argvs.items():
        with open(workdir / f"{name}.log", "ab") as log:
            processes.append(
                subprocess.Popen(
                    argv,
                    cwd=src,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,  # noqa: S603
                    start_new_session=True,
                )
            )
    server = Authentik(url, processes, root, database)
    deadline = time.monotonic() + START_TIMEOUT
    while not _flows_present(url):
        exited = [name for name, p in zip(argvs, processes, strict=True) if p.poll() is not None]
        if exited or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(
                f"authentik {'exited: ' + ', '.join(exited) if exited else 'not ready'}; logs in {workdir}"
            )
        time.sleep(2)
    return server


def start(workdir):
    """A fresh authentik on a copy of the template database; the caller calls .stop()."""
    root = cache_root()
    if not (_pg(root) / "template.done").exists():
        raise RuntimeError(f"no authentik {VERSION} in {root}: run `bash scripts/setup.sh`")
    started = ensure_postgres(root)
    database = f"authentik_{os.getpid()}_{next(_numbers)}"
    _psql(root, f"create database {database} template {TEMPLATE_DB} owner authentik")
    server = _start_processes(root, pathlib.Path(workdir), database)
    server.stops_postgres = started
    return server


if __name__ == "__main__":
    if sys.argv[1:] != ["build"]:
        sys.exit("usage: python -m harness.authentik build")
    print(build())

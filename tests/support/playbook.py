# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Run plays with ansible-playbook against this machine, with this checkout's collection.

Every run uses the checkout's ansible.cfg and its collection link (.cache/collections), so a
copy of zotops.registry installed under ~/.ansible is never what gets tested. The managed
host is localhost over connection local, with the test's own Python as its interpreter.

- run_playbook(tmp_path, plays, ...) -> PlaybookRun (returncode, stdout, stderr, output, recap)
- run_tasks(tmp_path, tasks, ...) -> (registered results, PlaybookRun)
- run_module(tmp_path, module, args, ...) -> (result of one zotops.registry.<module> task, PlaybookRun)
"""

import dataclasses
import json
import os
import pathlib
import re
import subprocess
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = pathlib.Path(sys.executable).with_name("ansible-playbook")
_RECAP_LINE = re.compile(r"^localhost\s*:\s*(ok=.*)$", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class PlaybookRun:
    """A finished ansible-playbook run."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self):
        """stdout and stderr together, for searching everything the run printed."""
        return self.stdout + self.stderr

    @property
    def recap(self):
        """localhost's PLAY RECAP counters, e.g. {"ok": 9, "changed": 0, "failed": 0, ...};
        empty when the run ended before printing a recap."""
        line = _RECAP_LINE.search(self.stdout)
        return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line.group(1))} if line else {}


def run_playbook(
    tmp_path,
    plays,
    *,
    check=False,
    diff=False,
    verbose=0,
    extra_vars=None,
    env=None,
    timeout=600,
    expect_success=True,
):
    """Write ``plays`` (a list of plays) to tmp_path/play.yml, run it and return the run.

    ``verbose`` is the number of -v; ``extra_vars`` (a dict) is passed as a file with
    ``-e @``, so it has extra-var precedence; ``env`` adds to this process's environment.
    ``expect_success`` asserts the exit code is 0 (True) or not 0 (False), showing the
    output when it is not.
    """
    (tmp_path / "play.yml").write_text(json.dumps(plays))
    command = [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", "-c", "local"]
    command += ["-e", "ansible_python_interpreter=" + sys.executable]
    if extra_vars is not None:
        (tmp_path / "extra-vars.json").write_text(json.dumps(extra_vars))
        command += ["-e", "@" + str(tmp_path / "extra-vars.json")]
    command += ["-" + "v" * verbose] if verbose else []
    command += ["--check"] if check else []
    command += ["--diff"] if diff else []
    command += ["play.yml"]
    environment = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / ".cache" / "collections"),
        ANSIBLE_NOCOLOR="1",
        **(env or {}),
    )
    proc = subprocess.run(
        command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=timeout, check=False
    )
    run = PlaybookRun(proc.returncode, proc.stdout, proc.stderr)
    assert (run.returncode == 0) == expect_success, run.output
    return run


def run_tasks(tmp_path, tasks, **options):
    """Run ``tasks`` in one play on localhost; return (their registered results, the run).

    Task n registers ``r<n>``, so a later task can use an earlier result ("{{ r1.api_key }}").
    The results are dumped by a no_log task, so secrets in them never reach the output. The
    play must succeed: give a task whose failure the test inspects ``ignore_errors: true``.
    ``options`` are run_playbook's.
    """
    dump = tmp_path / "results.json"
    dump.unlink(missing_ok=True)  # never read a previous run's results
    names = ["r%d" % n for n in range(len(tasks))]
    play = {
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [dict(task, register=name) for task, name in zip(tasks, names, strict=True)]
        + [
            {
                "ansible.builtin.copy": {
                    "content": "{{ [%s] | to_json }}" % ", ".join(names),
                    "dest": str(dump),
                },
                "check_mode": False,
                "no_log": True,
            }
        ],
    }
    run = run_playbook(tmp_path, [play], **options)
    return json.loads(dump.read_text()), run


def run_module(tmp_path, module, args, **options):
    """Run one zotops.registry.<module> task; return (its result, the run).

    A failure of the module is kept in the result (ignore_errors) for the test to inspect.
    ``options`` are run_playbook's.
    """
    (result,), run = run_tasks(
        tmp_path, [{"zotops.registry." + module: args, "ignore_errors": True}], **options
    )
    return result, run

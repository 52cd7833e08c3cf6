# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The unit's systemd exposure score after all the faults and re-runs above, held to the
same threshold molecule/default asserts (MAX_EXPOSURE there; see docs/reliability.md)."""

import importlib.util
import re

import reliability_host as rh


def _default_scenario_threshold():
    # One threshold for the project: read it from the default scenario's verifier.
    path = rh.ROOT / "molecule" / "default" / "tests" / "test_default.py"
    spec = importlib.util.spec_from_file_location("default_scenario_verifier", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MAX_EXPOSURE


def test_exposure_score_stays_within_the_project_threshold(record_property):
    output = rh.host_run("systemd-analyze", "security", "zot.service", "--no-pager").stdout
    score = float(re.search(r"Overall exposure level for zot\.service: ([0-9.]+)", output).group(1))
    record_property("systemd_exposure", score)
    print("systemd-analyze exposure for zot.service: %.1f" % score)
    assert score <= _default_scenario_threshold(), output

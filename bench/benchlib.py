# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Shared helpers for the benchmark scripts: summary statistics and result files."""

import datetime as dt
import json
import os
import pathlib
import platform
import statistics
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
    # Imported for its side effect: makes ansible_collections.zotops.registry importable.
    import conftest  # noqa: F401, E402  # pylint: disable=unused-import


def summary(samples):
    """Median and spread of a list of numbers (seconds, counts, ...)."""
    samples = list(samples)
    return {
        "n": len(samples),
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "stdev": statistics.stdev(samples) if len(samples) > 1 else 0.0,
        "samples": samples,
    }


def machine():
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def write_result(name, data):
    """Write bench/results/<name>.json and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / (name + ".json")
    path.write_text(json.dumps(dict(data, machine=machine()), indent=2) + "\n")
    return path

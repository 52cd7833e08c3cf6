#!/usr/bin/env python
# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Draw bench/results/benchmarks.png from the JSON results the other scripts wrote.

python -m venv .cache/bench-venv && .cache/bench-venv/bin/pip install -r bench/requirements.txt
.cache/bench-venv/bin/python bench/plot.py
"""

import json
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first

RESULTS = pathlib.Path(__file__).resolve().parent / "results"


def load(name):
    path = RESULTS / (name + ".json")
    return json.loads(path.read_text()) if path.exists() else None


def plot_converge(axis, data):
    runs = data["runs"]
    names = ["first_converge", "rerun", "check", "floor"]
    medians = [runs[name]["seconds"]["median"] for name in names]
    lows = [m - runs[name]["seconds"]["min"] for m, name in zip(medians, names, strict=True)]
    highs = [runs[name]["seconds"]["max"] - m for m, name in zip(medians, names, strict=True)]
    axis.bar(names, medians, yerr=[lows, highs], capsize=4)
    axis.set_ylabel("seconds (median, min-max)")
    axis.set_title("converge cost, podman test host")


def plot_auth(axis, data):
    modes = list(data["modes"])
    positions = range(len(modes))
    for offset, kind in ((-0.2, "pull"), (0.2, "push")):
        ratios = [data["modes"][mode][kind]["ratio_to_anonymous"] for mode in modes]
        axis.bar([p + offset for p in positions], ratios, width=0.4, label=kind)
    axis.axhline(2.0, color="grey", linewidth=0.8, linestyle="--")
    axis.set_xticks(list(positions), modes, rotation=30, ha="right")
    axis.set_yscale("log")
    axis.set_ylabel("median time / anonymous (2x dashed)")
    axis.set_title("authentication overhead per pull and push, zot")
    axis.tick_params(axis="x", labelsize=7)
    axis.legend(fontsize=7)


def plot_policy(axis, data):
    sizes = [row["globs"] for row in data["sizes"]]
    validate = [row["validate"].get("seconds") for row in data["sizes"]]
    per_query = [row["queries"].get("seconds_per_query") for row in data["sizes"]]
    loaded = [row.get("loaded_queries", {}).get("seconds") for row in data["sizes"]]
    axis.plot(sizes, [v if v is not None else float("nan") for v in validate], "o-", label="validate (s)")
    axis.plot(
        sizes, [q * 1000 if q else float("nan") for q in per_query], "s-", label="one-shot decide (ms/query)"
    )
    axis.plot(
        sizes,
        [v if v is not None else float("nan") for v in loaded],
        "^-",
        label="10000 loaded decisions (s)",
    )
    axis.axhline(1.0, color="grey", linestyle="--", linewidth=0.8)  # the 1 s targets
    for size, row in zip(sizes, data["sizes"], strict=True):
        if "timed_out_after_seconds" in row["validate"]:
            axis.annotate(
                "validate > %ds" % row["validate"]["timed_out_after_seconds"], (size, 1), fontsize=7
            )
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("repository globs")
    axis.set_title("zot_access_policy scaling")
    axis.legend(fontsize=7)


def main():
    panels = [
        (name, load(name), draw)
        for name, draw in (
            ("converge_cost", plot_converge),
            ("auth_overhead", plot_auth),
            ("policy_scaling", plot_policy),
        )
    ]
    panels = [(name, data, draw) for name, data, draw in panels if data]
    figure, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for axis, (_name, data, draw) in zip(axes[0], panels, strict=True):
        draw(axis, data)
    figure.tight_layout()
    out = RESULTS / "benchmarks.png"
    figure.savefig(out, dpi=100)
    print(out)


if __name__ == "__main__":
    main()

# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Build and run glob_oracle (doublestar v4.10.0, the matcher of zot v2.1.20).

The binary is built with the Go module proxy and cached under .cache/glob_oracle/<key>/,
where the key hashes go.mod, go.sum and main.go: a new pin or program builds again.
"""

import hashlib
import json
import os
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "glob_oracle")
ROOT = os.path.dirname(os.path.dirname(HERE))
CACHE = os.path.join(ROOT, ".cache", "glob_oracle")


def source_key() -> str:
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum", "main.go"):
        with open(os.path.join(SOURCE, name), "rb") as handle:
            digest.update(name.encode() + b"\0" + handle.read() + b"\0")
    return digest.hexdigest()[:16]


def build() -> str:
    """Path of the oracle binary, built when the cache has none for this source."""
    target = os.path.join(CACHE, source_key(), "glob_oracle")
    if os.access(target, os.X_OK):
        return target
    go = shutil.which("go")
    if not go:
        raise FileNotFoundError("go is not on PATH; it builds the glob oracle")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    env = dict(os.environ, GOFLAGS="-mod=mod", CGO_ENABLED="0")
    partial = target + ".partial"
    subprocess.run(  # noqa: S603
        [go, "build", "-o", partial, "."], cwd=SOURCE, env=env, check=True, capture_output=True, timeout=600
    )
    os.replace(partial, target)
    return target


def ask(binary: str, pairs) -> list[dict]:
    """doublestar's answers {valid, match, error} for (pattern, name) pairs, in order."""
    lines = "".join(json.dumps({"pattern": p, "name": n}, ensure_ascii=False) + "\n" for p, n in pairs)
    result = subprocess.run(  # noqa: S603
        [binary], input=lines.encode("utf-8"), capture_output=True, check=True, timeout=600
    )
    answers = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    if len(answers) != len(pairs):
        raise RuntimeError(f"glob_oracle answered {len(answers)} of {len(pairs)} queries: {result.stderr!r}")
    return answers

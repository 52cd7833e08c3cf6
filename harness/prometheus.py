# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Debian's Prometheus on loopback, scraping a registry with the project's example scrape
job (docs/examples/prometheus-zot.yml) pointed at it, every two seconds."""

import copy
import json
import pathlib
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

from harness.process import READY_TIMEOUT, Process, debian_binary, free_port

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "examples" / "prometheus-zot.yml"


def binary():
    return debian_binary("prometheus", "prometheus")


def example_job():
    """The example's one scrape job, as written."""
    (job,) = yaml.safe_load(EXAMPLE.read_text())["scrape_configs"]
    return job


def job_for(registry_url, password_file, job_name=None):
    """The example job scraping registry_url (http or https on loopback) with the metrics
    identity's password from password_file; password_file None drops the credential."""
    job = copy.deepcopy(example_job())
    url = urllib.parse.urlsplit(registry_url)
    job["scheme"] = url.scheme
    job["static_configs"] = [{"targets": [url.netloc]}]
    if password_file is None:
        del job["basic_auth"]
    else:
        job["basic_auth"]["password_file"] = str(password_file)
    if job_name:
        job["job_name"] = job_name
    return job


class Prometheus(Process):
    def query(self, expr):
        """The result vector of an instant query."""
        url = "%s/api/v1/query?%s" % (self.url, urllib.parse.urlencode({"query": expr}))
        with urllib.request.urlopen(url, timeout=10) as answer:
            body = json.load(answer)
        if body["status"] != "success":
            raise RuntimeError("%s: %s" % (expr, body))
        return body["data"]["result"]

    def targets(self):
        """{job name: the active target's health and last error}."""
        with urllib.request.urlopen(self.url + "/api/v1/targets", timeout=10) as answer:
            active = json.load(answer)["data"]["activeTargets"]
        return {target["labels"]["job"]: target for target in active}


def start(tmp_path, jobs):
    """Prometheus scraping the given jobs every two seconds, its data under tmp_path. The
    timeout outlasts zot's failDelay (1 s by default), which delays every refusal."""
    prefix = pathlib.Path(tmp_path) / "prometheus"
    prefix.mkdir(parents=True, exist_ok=True)
    config = prefix / "prometheus.yml"
    config.write_text(
        yaml.safe_dump({"global": {"scrape_interval": "2s", "scrape_timeout": "2s"}, "scrape_configs": jobs})
    )
    url = "http://127.0.0.1:%d" % free_port()
    argv = [
        binary(),
        "--config.file=%s" % config,
        "--storage.tsdb.path=%s" % (prefix / "data"),
        "--web.listen-address=%s" % url[len("http://") :],
    ]
    process = Prometheus(argv, str(prefix), str(prefix / "out.log"), url + "/-/ready")
    process.url = url
    process.start()
    # /-/ready answers 503 while the storage opens, which Process counts as an answer.
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(url + "/-/ready", timeout=2):
                return process
        except urllib.error.HTTPError as error:
            if time.monotonic() > deadline:
                process.stop()
                raise RuntimeError(
                    "prometheus not ready after %ds:\n%s" % (READY_TIMEOUT, process.log_text())
                ) from error
            time.sleep(0.2)

# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""A child process on loopback with its output in a log file, started and reaped for a test."""

import argparse
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

READY_TIMEOUT = 20


def debian_binary(name, package, directory="/usr/bin"):
    """Path of a program from one of Debian's packages that scripts/setup.sh installs; a
    clear error naming the package when it is missing."""
    path = shutil.which(name) or os.path.join(directory, name)
    if not os.path.exists(path):
        raise RuntimeError(f"{name} is not installed: run `bash scripts/setup.sh` (Debian's {package})")
    return path


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(ready_url):
    """True once ready_url answers: an HTTP(S) URL, or tcp://HOST:PORT for a server that
    speaks no HTTP (slapd), where an accepted connection is the answer."""
    if ready_url.startswith("tcp://"):
        host, port = ready_url[len("tcp://") :].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    context = None
    if ready_url.startswith("https://"):
        # Readiness only, on loopback: a throwaway certificate (harness/tls.py) is not checked.
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with urllib.request.urlopen(ready_url, timeout=2, context=context):
            return True
    except urllib.error.HTTPError:
        return True  # it answers: ready enough for a server without a health endpoint


class Process:
    """A child process with its output in a log file; stop() always reaps it."""

    def __init__(self, argv, cwd, log_path, ready_url, env=None):
        self.argv, self.cwd, self.log_path, self.ready_url = argv, cwd, log_path, ready_url
        self.env = env
        self.process = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv built by the harness
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.argv} exited with {self.process.returncode}:\n{self.log_text()}")
            try:
                if _answers(self.ready_url):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.argv} not ready after {READY_TIMEOUT}s:\n{self.log_text()}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_text(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()


def record_pid(process, pid_file):
    """Write the pid of a started Process for stop_recorded() in another command (molecule's
    prepare starts a server, destroy stops it)."""
    with open(pid_file, "w", encoding="utf-8") as handle:
        handle.write(str(process.process.pid))


def stop_recorded(pid_file):
    """SIGTERM the process record_pid() wrote down; nothing to do if it never started."""
    try:
        with open(pid_file, encoding="utf-8") as handle:
            pid = int(handle.read().strip())
    except FileNotFoundError:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    os.remove(pid_file)


def background_cli(argv, description, pid_name, add_start_arguments, start):
    """The `start --dir D [options]` / `stop --dir D` commands of a server that a molecule
    prepare starts in the background and its destroy stops. start(args) starts it and returns
    (the Process, the address to print)."""
    parser = argparse.ArgumentParser(description=description)
    commands = parser.add_subparsers(dest="command", required=True)
    start_parser = commands.add_parser("start", help="start it in the background, print its address")
    start_parser.add_argument("--dir", required=True, help="its files (pid and log included) go here")
    add_start_arguments(start_parser)
    stop_parser = commands.add_parser("stop", help="stop the one started with the same --dir")
    stop_parser.add_argument("--dir", required=True)
    args = parser.parse_args(argv)
    pid_file = os.path.join(args.dir, pid_name)
    if args.command == "stop":
        stop_recorded(pid_file)
        return 0
    os.makedirs(args.dir, exist_ok=True)
    process, address = start(args)
    record_pid(process, pid_file)
    print(address)
    return 0

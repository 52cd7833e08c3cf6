# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""The test hosts' connection: containers.podman.podman with pipelining.

The collection's plugin runs every module in four `podman exec` calls (home directory, temp
directory, chmod, run) because its `podman exec` leaves stdin unattached, and mounts the
container's filesystem for every task. Attaching stdin (`-i`) lets Ansible pipe the module into
the container's Python in one call, and the filesystem is mounted only when a file is copied.
Everything else is the collection's plugin.

ansible.cfg and the molecule base config put this directory on the connection plugin path,
where this `podman` is found before the collection's plugin of the same short name.
"""

DOCUMENTATION = """
name: podman
short_description: Run tasks in a podman container, with pipelining
description:
  - containers.podman.podman whose C(podman exec) attaches stdin, so Ansible can pipeline.
options:
  remote_addr:
    description: The container's name or ID.
    default: inventory_hostname
    vars:
      - name: ansible_host
      - name: inventory_hostname
  remote_user:
    description: User that runs commands inside the container.
    vars:
      - name: ansible_user
  podman_extra_args:
    description: Extra arguments to the podman command line.
    default: ''
    vars:
      - name: ansible_podman_extra_args
  podman_executable:
    description: The podman executable.
    default: podman
    vars:
      - name: ansible_podman_executable
  # Read by containers.podman 1.21 and later (ansible 14), which pipelines by itself.
  container_timeout:
    description: Timeout of a podman command in seconds (0 none).
    type: int
    default: 0
    vars:
      - name: ansible_podman_timeout
  mount_detection:
    description: Mount the container's filesystem to copy files.
    type: bool
    default: true
    vars:
      - name: ansible_podman_mount_detection
  ignore_mount_errors:
    description: Copy with podman cp when mounting fails.
    type: bool
    default: true
    vars:
      - name: ansible_podman_ignore_mount_errors
  extra_env_vars:
    description: Environment variables for commands in the container.
    type: dict
    default: {}
    vars:
      - name: ansible_podman_extra_env
  privilege_escalation_method:
    description: How to escalate privileges in the container.
    type: str
    default: auto
    vars:
      - name: ansible_podman_privilege_escalation
  working_directory:
    description: Working directory of commands in the container.
    type: str
    vars:
      - name: ansible_podman_working_directory
"""

from ansible.plugins.connection import ConnectionBase
from ansible_collections.containers.podman.plugins.connection.podman import Connection as PodmanConnection


if PodmanConnection.has_pipelining:
    # containers.podman 1.21 and later (ansible 14) attach stdin and pipeline by themselves.
    class Connection(PodmanConnection):
        transport = "podman"

else:

    class Connection(PodmanConnection):
        transport = "podman"
        has_pipelining = True

        def _connect(self):
            ConnectionBase._connect(self)
            self._connected = True
            return self

        def _mounted(self):
            if self._mount_point is None:
                PodmanConnection._connect(self)

        def put_file(self, in_path, out_path):
            self._mounted()
            return super().put_file(in_path, out_path)

        def fetch_file(self, in_path, out_path):
            self._mounted()
            return super().fetch_file(in_path, out_path)

        def _podman(self, cmd, cmd_args=None, in_data=None, use_container_id=True):
            if in_data is not None and cmd[:1] == ["exec"]:
                cmd = ["exec", "-i", *cmd[1:]]
            return super()._podman(cmd, cmd_args, in_data, use_container_id)

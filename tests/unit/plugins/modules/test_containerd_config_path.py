# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""containerd_config_path module: file handling, check mode, diff and error reporting."""

import json
import os
import stat

import pytest
from tests.support.module_args import patch_module_args

from ansible_collections.zotops.registry.plugins.modules import containerd_config_path

CERTS = "/etc/containerd/certs.d"


def run_module(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        containerd_config_path.main()
    result = json.loads(capsys.readouterr().out)
    return exit_info.value.code, result


def test_fresh_node_check_mode_reports_the_change_and_writes_nothing(tmp_path, capsys):
    config = tmp_path / "etc" / "containerd" / "config.toml"

    code, result = run_module(
        capsys,
        path=str(config),
        config_path=CERTS,
        containerd_version="1.6.20",
        _ansible_check_mode=True,
        _ansible_diff=True,
    )

    assert code == 0 and result["changed"] is True
    assert result["diff"]["before"] == ""
    assert f'config_path = "{CERTS}"' in result["diff"]["after"]
    assert not config.parent.exists()


def test_fresh_node_gets_a_new_world_readable_config_then_is_idempotent(tmp_path, capsys):
    config = tmp_path / "etc" / "containerd" / "config.toml"

    _unused, first = run_module(capsys, path=str(config), config_path=CERTS, containerd_version="2.1.4")
    _unused, second = run_module(capsys, path=str(config), config_path=CERTS, containerd_version="2.1.4")

    assert first["changed"] is True and first["config_version"] == 3
    assert first["registry_table"] == 'plugins."io.containerd.cri.v1.images".registry'
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o644
    assert 'config_path = "/etc/containerd/certs.d"' in config.read_text()
    assert second["changed"] is False


def test_existing_file_keeps_its_mode_and_other_content(tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text('version = 2\n# ops team owns this\n[debug]\n  level = "info"\n')
    config.chmod(0o600)

    _unused, result = run_module(capsys, path=str(config), config_path=CERTS, containerd_version="1.6")

    assert result["changed"] is True and result["previous_config_path"] == ""
    text = config.read_text()
    assert text.startswith('version = 2\n# ops team owns this\n[debug]\n  level = "info"\n')
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600


def test_refusal_names_the_file_and_the_key_and_leaves_the_file_alone(tmp_path, capsys):
    config = tmp_path / "config.toml"
    original = (
        "version = 2\n"
        '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n'
        '  endpoint = ["https://mirror.example"]\n'
    )
    config.write_text(original)

    code, result = run_module(capsys, path=str(config), config_path=CERTS)

    assert code == 1 and result["failed"] is True
    assert str(config) in result["msg"]
    assert 'plugins."io.containerd.grpc.v1.cri".registry.mirrors' in result["msg"]
    assert config.read_text() == original


def test_existing_other_config_path_is_replaced_only_when_asked(tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text(
        'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/opt/hosts"\n'
    )

    code, refused = run_module(capsys, path=str(config), config_path=CERTS)
    _unused, replaced = run_module(capsys, path=str(config), config_path=CERTS, replace_config_path=True)

    assert code == 1 and "/opt/hosts" in refused["msg"]
    assert replaced["changed"] is True and replaced["previous_config_path"] == "/opt/hosts"
    assert f'config_path = "{CERTS}"' in config.read_text()

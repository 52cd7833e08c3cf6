# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""config.toml inspection and in-place edit for containerd 1.x (version 2) and 2.x (version 3)."""

import tomllib

import pytest

from ansible_collections.zotops.registry.plugins.module_utils._containerd_config import (
    ContainerdConfigError,
    containerd_major_version,
    set_config_path,
)

CERTS = "/etc/containerd/certs.d"
V2_TABLE = ("plugins", "io.containerd.grpc.v1.cri", "registry")
V3_TABLE = ("plugins", "io.containerd.cri.v1.images", "registry")

# The config Debian's containerd package ships.
DEBIAN_CONFIG = """\
version = 2

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "/etc/cni/net.d"
  [plugins."io.containerd.internal.v1.opt"]
    path = "/var/lib/containerd/opt"
"""

# Shape of `containerd config default` (1.6): empty config_path and empty sub-tables.
DEFAULT_DUMP = """\
version = 2
root = "/var/lib/containerd"

[plugins]

  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.6"

    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = ""

      [plugins."io.containerd.grpc.v1.cri".registry.auths]

      [plugins."io.containerd.grpc.v1.cri".registry.mirrors]

    [plugins."io.containerd.grpc.v1.cri".x509_key_pair_streaming]
      tls_cert_file = ""
"""


def config_path_of(text, table):
    node = tomllib.loads(text)
    for part in table:
        node = node[part]
    return node["config_path"]


def test_empty_config_uses_the_schema_of_the_installed_containerd():
    one = set_config_path("", CERTS, containerd_major=1)
    two = set_config_path("", CERTS, containerd_major=2)

    assert one.changed and one.config_version == 2
    assert tomllib.loads(one.text)["version"] == 2
    assert config_path_of(one.text, V2_TABLE) == CERTS
    assert two.config_version == 3
    assert config_path_of(two.text, V3_TABLE) == CERTS


def test_empty_config_without_a_containerd_version_is_an_error():
    with pytest.raises(ContainerdConfigError, match="containerd_version"):
        set_config_path("# nothing yet\n", CERTS)


def test_comment_only_config_keeps_its_comments():
    text = "# managed by hand\n# keep me\n"
    edit = set_config_path(text, CERTS, containerd_major=1)

    assert "# managed by hand\n# keep me\n" in edit.text
    assert edit.text.startswith("version = 2\n")
    assert config_path_of(edit.text, V2_TABLE) == CERTS


def test_version_2_config_gets_a_registry_table_and_keeps_everything_else():
    edit = set_config_path(DEBIAN_CONFIG, CERTS, containerd_major=1)

    assert edit.changed
    assert edit.registry_table == 'plugins."io.containerd.grpc.v1.cri".registry'
    assert edit.text.startswith(DEBIAN_CONFIG)
    assert edit.text[len(DEBIAN_CONFIG) :] == (
        '\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'
    )
    assert config_path_of(edit.text, V2_TABLE) == CERTS


def test_version_3_config_uses_the_images_plugin_table():
    text = 'version = 3\n\n[plugins."io.containerd.cri.v1.images"]\n  snapshotter = "overlayfs"\n'
    edit = set_config_path(text, CERTS, containerd_major=2)

    assert edit.config_version == 3
    assert config_path_of(edit.text, V3_TABLE) == CERTS
    assert "io.containerd.grpc.v1.cri" not in edit.text


def test_version_2_config_on_containerd_2_keeps_the_version_2_table():
    # containerd 2.x migrates version 2 configs itself, so the key stays where v2 expects it.
    edit = set_config_path(DEBIAN_CONFIG, CERTS, containerd_major=2)
    assert config_path_of(edit.text, V2_TABLE) == CERTS


def test_version_3_config_on_containerd_1_is_refused():
    with pytest.raises(ContainerdConfigError, match="`version` is 3"):
        set_config_path("version = 3\n", CERTS, containerd_major=1)


def test_unversioned_config_with_settings_is_refused():
    with pytest.raises(ContainerdConfigError, match="has no `version` key"):
        set_config_path('disabled_plugins = ["cri"]\n', CERTS, containerd_major=1)


def test_empty_config_path_in_an_existing_table_is_filled_in_place():
    edit = set_config_path(DEFAULT_DUMP, CERTS, containerd_major=1)

    assert edit.changed and edit.previous_config_path == ""
    assert edit.text == DEFAULT_DUMP.replace('config_path = ""', f'config_path = "{CERTS}"')


def test_existing_table_without_the_key_gets_it_under_its_header_with_its_indentation():
    text = (
        "version = 2\n"
        '[plugins."io.containerd.grpc.v1.cri".registry]  # the registry\n'
        "    # comment inside\n"
        '    [plugins."io.containerd.grpc.v1.cri".registry.headers]\n'
        '      X-Team = ["a"]\n'
    )
    edit = set_config_path(text, CERTS, containerd_major=1)

    lines = edit.text.splitlines()
    assert lines[1] == '[plugins."io.containerd.grpc.v1.cri".registry]  # the registry'
    assert lines[2] == f'  config_path = "{CERTS}"'
    assert "    # comment inside" in lines
    assert tomllib.loads(edit.text)["plugins"]["io.containerd.grpc.v1.cri"]["registry"]["headers"] == {
        "X-Team": ["a"]
    }


def test_comments_and_formatting_are_preserved_byte_for_byte():
    text = (
        "# top comment\n"
        "version = 2   # schema\n"
        "\n"
        "[plugins.'io.containerd.grpc.v1.cri'.registry]\n"
        "  config_path = ''  # set by the mirror role\n"
        "\n"
        "[debug]\n"
        '  level = "info"\n'
    )
    edit = set_config_path(text, CERTS, containerd_major=1)

    assert edit.text == text.replace("config_path = ''  # set", f'config_path = "{CERTS}"  # set')


def test_same_config_path_is_no_change():
    text = DEFAULT_DUMP.replace('config_path = ""', f'config_path = "{CERTS}"')
    edit = set_config_path(text, CERTS, containerd_major=1)

    assert not edit.changed
    assert edit.text == text
    assert edit.previous_config_path == CERTS


def test_config_path_pointing_elsewhere_is_refused_unless_replacing():
    text = DEFAULT_DUMP.replace('config_path = ""', 'config_path = "/opt/certs.d"')

    with pytest.raises(ContainerdConfigError, match=r"registry\.config_path is already"):
        set_config_path(text, CERTS, containerd_major=1)

    edit = set_config_path(text, CERTS, containerd_major=1, replace_existing=True)
    assert edit.previous_config_path == "/opt/certs.d"
    assert config_path_of(edit.text, V2_TABLE) == CERTS


def test_mirrors_next_to_config_path_are_refused_naming_the_key():
    text = DEFAULT_DUMP.replace(
        '[plugins."io.containerd.grpc.v1.cri".registry.mirrors]\n',
        '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n'
        '        endpoint = ["https://mirror.example"]\n',
    )
    with pytest.raises(ContainerdConfigError) as err:
        set_config_path(text, CERTS, containerd_major=1)
    assert 'plugins."io.containerd.grpc.v1.cri".registry.mirrors is set' in str(err.value)


def test_mirrors_are_refused_in_version_3_configs_too():
    text = (
        "version = 3\n"
        '[plugins."io.containerd.cri.v1.images".registry.mirrors."docker.io"]\n'
        '  endpoint = ["https://mirror.example"]\n'
    )
    with pytest.raises(ContainerdConfigError, match=r"cri\.v1\.images\"\.registry\.mirrors"):
        set_config_path(text, CERTS, containerd_major=2)


def test_registry_tls_configs_are_refused_naming_the_host():
    text = (
        "version = 2\n"
        '[plugins."io.containerd.grpc.v1.cri".registry.configs."reg.example:5000".tls]\n'
        "  insecure_skip_verify = true\n"
    )
    with pytest.raises(ContainerdConfigError, match=r'configs\."reg\.example:5000"\.tls'):
        set_config_path(text, CERTS, containerd_major=1)


def test_registry_auth_configs_are_kept():
    text = (
        "version = 2\n"
        '[plugins."io.containerd.grpc.v1.cri".registry.configs."reg.example".auth]\n'
        '  username = "ci"\n'
    )
    edit = set_config_path(text, CERTS, containerd_major=1)

    registry = tomllib.loads(edit.text)["plugins"]["io.containerd.grpc.v1.cri"]["registry"]
    assert registry["config_path"] == CERTS
    assert registry["configs"]["reg.example"]["auth"] == {"username": "ci"}


def test_dotted_key_registry_settings_are_not_rewritten_blindly():
    text = 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  registry.config_path = ""\n'
    with pytest.raises(ContainerdConfigError, match="set it by hand"):
        set_config_path(text, CERTS, containerd_major=1)


def test_invalid_toml_is_reported():
    with pytest.raises(ContainerdConfigError, match="not valid TOML"):
        set_config_path("version = = 2\n", CERTS, containerd_major=1)


def test_file_without_final_newline_is_extended_cleanly():
    edit = set_config_path('version = 2\nroot = "/var/lib/containerd"', CERTS, containerd_major=1)
    assert edit.text.startswith('version = 2\nroot = "/var/lib/containerd"\n\n[plugins.')
    assert config_path_of(edit.text, V2_TABLE) == CERTS


def test_config_path_with_characters_needing_escapes_round_trips():
    odd = '/srv/certs "quoted" \\ dir'
    edit = set_config_path("version = 2\n", odd, containerd_major=1)
    assert config_path_of(edit.text, V2_TABLE) == odd


@pytest.mark.parametrize(
    "output, major",
    [
        ("containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3", 1),
        ("containerd containerd.io 1.7.27 05044ec0a9a75232cad458027ca83437aae3f4da", 1),
        ("containerd github.com/containerd/containerd/v2 v2.1.4 75cb2b7193e4e490e9fbdc", 2),
        ("2.0.0", 2),
    ],
)
def test_containerd_major_version(output, major):
    assert containerd_major_version(output) == major


def test_unreadable_containerd_version_is_an_error():
    with pytest.raises(ContainerdConfigError, match="cannot read a containerd version"):
        containerd_major_version("command not found")

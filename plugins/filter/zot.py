# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters the `zot` role uses to build its files; the logic lives in plugin_utils/_zot/."""

from ansible.errors import AnsibleFilterError

from ansible_collections.zotops.registry.plugins.plugin_utils._zot import cluster as zot_cluster
from ansible_collections.zotops.registry.plugins.plugin_utils._zot import config as zot_config
from ansible_collections.zotops.registry.plugins.plugin_utils._zot import host_checks, htpasswd, rollback
from ansible_collections.zotops.registry.plugins.plugin_utils._zot import key_owners
from ansible_collections.zotops.registry.plugins.plugin_utils._zot import secret_files as zot_secret_files


def _wrap(func):
    def filter_(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        # ZotConfigError and HtpasswdError are ValueErrors; every message names the variable.
        except (ValueError, KeyError) as exc:
            raise AnsibleFilterError(str(exc)) from exc

    filter_.__name__ = func.__name__
    filter_.__doc__ = func.__doc__
    return filter_


def _cluster_members(group, groups, hostvars, default_port):
    if group not in groups:
        raise ValueError("zot_cluster_group: %s is not an inventory group" % group)
    return zot_cluster.members_of_group(groups[group], hostvars, default_port)


class FilterModule(object):
    def filters(self):
        return {
            "zot_config": _wrap(zot_config.build_config),
            "zot_settings": _wrap(zot_config.settings_from_variables),
            "zot_oidc_redirect_uri": _wrap(zot_config.oidc_redirect_uri),
            "zot_live_reloadable_change": _wrap(zot_config.live_reloadable_change),
            "zot_secret_files": _wrap(zot_secret_files.secret_files),
            "zot_upstream_errors": _wrap(zot_config.upstream_errors),
            "zot_cluster_members": _wrap(_cluster_members),
            "zot_s3_environment": _wrap(zot_cluster.s3_environment),
            "zot_unmounted_mount_of": _wrap(host_checks.unmounted_mount_of),
            "zot_binary_version_error": _wrap(host_checks.binary_version_error),
            "zot_htpasswd": _wrap(htpasswd.render_htpasswd),
            "zot_htpasswd_check": _wrap(htpasswd.check_users),
            "zot_htpasswd_generated": _wrap(htpasswd.generated_secret_users),
            "zot_removed_key_owners": _wrap(key_owners.removed_owners),
            "zot_rotated_key_owners": _wrap(key_owners.rotated_owners),
            "zot_replaced_files": _wrap(rollback.replaced_files),
            "zot_start_error": _wrap(rollback.start_error),
            "zot_local_url": _wrap(rollback.local_url),
            "zot_rollback_failure": _wrap(rollback.failure_line),
        }

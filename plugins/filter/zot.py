# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters the `zot` role uses to build its files; the logic lives in plugin_utils/_zot/."""

from ansible_collections.zotops.registry.plugins.plugin_utils._filter_errors import as_filter
from ansible_collections.zotops.registry.plugins.plugin_utils._zot import cluster as zot_cluster
from ansible_collections.zotops.registry.plugins.plugin_utils._zot import config as zot_config
from ansible_collections.zotops.registry.plugins.plugin_utils._zot import host_checks, htpasswd, rollback
from ansible_collections.zotops.registry.plugins.plugin_utils._zot import key_owners
from ansible_collections.zotops.registry.plugins.plugin_utils._zot import secret_files as zot_secret_files


def _cluster_members(group, groups, hostvars, default_port):
    if group not in groups:
        raise ValueError("zot_cluster_group: %s is not an inventory group" % group)
    return zot_cluster.members_of_group(groups[group], hostvars, default_port)


class FilterModule(object):
    def filters(self):
        return {
            "zot_config": as_filter(zot_config.build_config),
            "zot_settings": as_filter(zot_config.settings_from_variables),
            "zot_oidc_redirect_uri": as_filter(zot_config.oidc_redirect_uri),
            "zot_live_reloadable_change": as_filter(zot_config.live_reloadable_change),
            "zot_secret_files": as_filter(zot_secret_files.secret_files),
            "zot_upstream_errors": as_filter(zot_config.upstream_errors),
            "zot_cluster_members": as_filter(_cluster_members),
            "zot_s3_environment": as_filter(zot_cluster.s3_environment),
            "zot_unmounted_mount_of": as_filter(host_checks.unmounted_mount_of),
            "zot_binary_version_error": as_filter(host_checks.binary_version_error),
            "zot_htpasswd": as_filter(htpasswd.render_htpasswd),
            "zot_htpasswd_check": as_filter(htpasswd.check_users),
            "zot_htpasswd_generated": as_filter(htpasswd.generated_secret_users),
            "zot_removed_key_owners": as_filter(key_owners.removed_owners),
            "zot_rotated_key_owners": as_filter(key_owners.rotated_owners),
            "zot_replaced_files": as_filter(rollback.replaced_files),
            "zot_start_error": as_filter(rollback.start_error),
            "zot_local_url": as_filter(rollback.local_url),
            "zot_rollback_failure": as_filter(rollback.failure_line),
        }

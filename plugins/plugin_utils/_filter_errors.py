# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0
# Internal to zotops.registry: no stable interface; may change in any release.
"""The collection's filters raise its own errors (ValueError, KeyError), each naming the
variable; ansible shows an AnsibleFilterError's message to the user."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError


def as_filter(func):
    """func, its ValueError and KeyError raised as AnsibleFilterError with the same message."""

    def filter_(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (ValueError, KeyError) as exc:
            raise AnsibleFilterError(str(exc)) from exc

    filter_.__name__ = func.__name__
    filter_.__doc__ = func.__doc__
    return filter_

# Copyright: zotops.registry contributors
# SPDX-License-Identifier: Apache-2.0

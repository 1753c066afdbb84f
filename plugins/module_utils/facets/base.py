# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every bucket facet handler provides. A facet is one independently readable/writable part of a
bucket's configuration (versioning, tags, policy, ...). Handlers work on normalised values, so that
comparing desired with current is a plain equality and diff output is stable."""

from __future__ import annotations

from ..s3_errors import BOTO_ERRORS, error_code, translate, NOT_CONFIGURED_CODES


class Facet:
    name = ""
    # Module options that belong to this facet; the facet is managed only when one of them is set.
    options = ()
    # S3 operation used to read the facet (for messages).
    read_operation = ""

    def wanted(self, params):
        return any(params.get(o) is not None for o in self.options)

    def desired(self, params, current):
        """Normalised desired value, given the normalised current one (needed e.g. for purge_tags=false)."""
        raise NotImplementedError

    def read(self, client, bucket):
        """Normalised current value; raises a typed S3ModuleError on failure."""
        raise NotImplementedError

    def write(self, client, bucket, desired, current, params):
        """Make the server hold `desired`; params are the module's, for what the normalised value leaves out."""
        raise NotImplementedError

    # Helpers -------------------------------------------------------------------------------------
    def call(self, fn, operation, bucket, **kwargs):
        """fn is a bound method of the S3 client."""
        try:
            return fn(Bucket=bucket, **kwargs)
        except BOTO_ERRORS as exc:
            raise translate(exc, operation, bucket, getattr(fn, "__self__", None)) from exc

    def get_or_none(self, fn, operation, bucket):
        """Call a GET whose 'not configured' answer is an error code; return None in that case."""
        try:
            return fn(Bucket=bucket)
        except BOTO_ERRORS as exc:
            if error_code(exc) in NOT_CONFIGURED_CODES:
                return None
            raise translate(exc, operation, bucket, getattr(fn, "__self__", None)) from exc

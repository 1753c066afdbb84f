# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Loaded by every Python process of a benchmark run (PYTHONPATH): counts S3 requests that botocore sends,
one line per request in $METALSTORE_CALL_LOG, whichever module (ours or amazon.aws) sends them."""

import os

_LOG = os.environ.get("METALSTORE_CALL_LOG")

if _LOG:
    try:
        import botocore.session

        _orig_init = botocore.session.Session.__init__

        def _record(request, **kwargs):
            with open(_LOG, "a", encoding="utf-8") as f:
                f.write(f"{request.method} {request.url.split('?')[-1] if '?' in request.url else ''}\n")

        def _init(self, *args, **kwargs):
            _orig_init(self, *args, **kwargs)
            self.register("before-send.s3", _record)

        botocore.session.Session.__init__ = _init
    except ImportError:
        pass

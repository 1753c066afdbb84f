# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Connection options shared by every S3 module. Names and aliases follow amazon.aws so the same
    # module_defaults work; all can be set once with `module_defaults: group/metalstore.platform.s3`.
    DOCUMENTATION = r"""
options:
  endpoint_url:
    description:
      - URL of the S3 endpoint, for example C(https://s3.site.example:8333).
      - When not set, the E(AWS_ENDPOINT_URL_S3) or E(AWS_ENDPOINT_URL) environment variable is used;
        without either, botocore's default AWS endpoint for O(region).
    type: str
    aliases: [aws_endpoint_url, s3_url]
  region:
    description:
      - Region to sign requests for. SeaweedFS accepts any region.
      - Falls back to E(AWS_REGION) or E(AWS_DEFAULT_REGION), then C(us-east-1).
    type: str
    aliases: [aws_region]
  access_key:
    description:
      - S3 access key ID. Falls back to E(AWS_ACCESS_KEY_ID).
    type: str
    aliases: [aws_access_key_id, aws_access_key]
  secret_key:
    description:
      - S3 secret access key. Falls back to E(AWS_SECRET_ACCESS_KEY). Never logged.
    type: str
    aliases: [aws_secret_access_key, aws_secret_key]
  session_token:
    description:
      - Session token for temporary credentials. Falls back to E(AWS_SESSION_TOKEN). Never logged.
    type: str
    aliases: [aws_session_token]
  validate_certs:
    description:
      - Verify the endpoint's TLS certificate. Turn off only for throw-away test endpoints.
    type: bool
    default: true
  ca_bundle:
    description:
      - Path of a PEM bundle of CA certificates to trust for the endpoint (for a site CA).
      - Falls back to E(AWS_CA_BUNDLE).
    type: path
    aliases: [aws_ca_bundle]
  addressing_style:
    description:
      - How bucket names are put in request URLs. C(path) suits most on-premises endpoints,
        including SeaweedFS, because it needs no wildcard DNS.
    type: str
    choices: [path, virtual, auto]
    default: path
  max_attempts:
    description:
      - Total attempts per API call. Throttling, timeouts and 5xx answers are retried with
        exponential backoff and jitter (botocore's standard retry mode).
      - With the default timeouts, 3 attempts make a dead endpoint fail within 30 seconds.
    type: int
    default: 3
  connect_timeout:
    description:
      - Seconds to wait for a connection to the endpoint, per attempt.
    type: int
    default: 5
  read_timeout:
    description:
      - Seconds to wait for the endpoint to send the next part of an answer, per attempt. An endpoint that accepts
        the connection but never answers fails with a message that says it timed out.
    type: int
    default: 7
requirements:
  - python >= 3.9
  - botocore >= 1.31
"""

    # Every S3 module is in the action group.
    ACTION_GROUP = r"""
attributes:
  action_group:
    support: full
    membership: [metalstore.platform.s3]
    description: Part of the C(metalstore.platform.s3) action group for O(ignore:module_defaults).
"""

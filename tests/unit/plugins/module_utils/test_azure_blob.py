# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.metalstore.platform.plugins.module_utils.azure_blob import AzureBlob, container_name_problems
from ansible_collections.metalstore.platform.plugins.module_utils.s3_errors import ValidationError


@pytest.mark.parametrize("name", ["abc", "a-b-c", "backup2026", "a" * 63])
def test_container_names_azure_takes(name):
    assert container_name_problems(name) == []


@pytest.mark.parametrize("name", ["ab", "a" * 64, "Abc", "a--b", "-abc", "abc-", "it.dotted", "a_b"])
def test_container_names_azure_rejects(name):
    assert container_name_problems(name)


def test_key_must_be_base64_and_is_not_echoed():
    with pytest.raises(ValidationError) as err:
        AzureBlob("account1", "not base64!")
    assert "not base64!" not in str(err.value)


def test_default_endpoint_is_the_public_cloud():
    assert AzureBlob("account1", "a2V5").endpoint == "https://account1.blob.core.windows.net"

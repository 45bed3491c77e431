"""Kernel fixtures: the shared moto S3 endpoint and a running identity service."""

from __future__ import annotations

import pytest

from tests.identity.conftest import identity_service  # noqa: F401 (shared fixture)
from tests.kernel.s3_server import shared_moto_endpoint


@pytest.fixture(scope="session")
def moto_endpoint() -> str:
    return shared_moto_endpoint()

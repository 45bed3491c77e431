"""Kernel fixtures: the shared moto S3 endpoint."""

from __future__ import annotations

import pytest

from tests.kernel.s3_server import shared_moto_endpoint


@pytest.fixture(scope="session")
def moto_endpoint() -> str:
    return shared_moto_endpoint()

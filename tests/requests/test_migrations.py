"""The requests migration history: upgrade, downgrade, upgrade again, and agreement with the
models (alembic compare_metadata finds no difference)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from services.kernel import migrations
from services.requests.models import SCHEMA, RequestsBase
from tests.database import scratch_database
from tests.kernel.migration_checks import enum_type_names, schema_differences, table_names


@pytest.fixture(scope="module")
def scratch_url(database_url: str) -> Iterator[str]:
    """An empty database of its own on the test server."""
    with scratch_database(database_url) as url:
        yield url


def differences(url: str) -> list[Any]:
    return schema_differences(url, RequestsBase.metadata)


def tables(url: str) -> set[str]:
    """Tables and enum types of the schema."""
    return table_names(url, SCHEMA) | {f"enum:{n}" for n in enum_type_names(url, SCHEMA)}


EXPECTED = {
    "requests",
    "log_samples",
    "ta_revisions",
    "generation_jobs",
    "audit_outbox",
    "alembic_version",
    "enum:request_status",
    "enum:ta_revision_type",
}


def test_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    migrations.upgrade("requests", scratch_url)
    assert tables(scratch_url) == EXPECTED
    assert differences(scratch_url) == []
    migrations.downgrade("requests", scratch_url)
    assert tables(scratch_url) == {"alembic_version"}
    assert len(differences(scratch_url)) >= 4  # the comparison does see missing tables
    migrations.upgrade("requests", scratch_url)
    assert tables(scratch_url) == EXPECTED
    assert differences(scratch_url) == []


def test_models_and_migrations_agree_on_the_test_database(database_url: str) -> None:
    assert differences(database_url) == []

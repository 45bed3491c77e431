"""The validation migration history: upgrade, downgrade, upgrade again, and agreement with
the models (alembic compare_metadata finds no difference)."""

from __future__ import annotations

from services.validation.models import SCHEMA, ValidationBase
from tests.database import scratch_database
from tests.kernel.migration_checks import check_round_trip, schema_differences, table_names


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    with scratch_database(database_url) as url:
        check_round_trip(url, "validation", ValidationBase.metadata)
        assert table_names(url, SCHEMA) == {
            "validation_runs",
            "verdict_outbox",
            "audit_outbox",
            "alembic_version",
        }


def test_models_and_migrations_agree_on_the_test_database(database_url: str) -> None:
    assert schema_differences(database_url, ValidationBase.metadata) == []

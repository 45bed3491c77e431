"""The identity migration history: upgrade, downgrade, and agreement with the models."""

import pytest

from services.identity.models import IdentityBase
from tests.database import scratch_database
from tests.kernel.migration_checks import check_round_trip, schema_differences


@pytest.fixture(scope="module")
def scratch(database_url: str):
    with scratch_database(database_url) as url:
        yield url


def test_upgrade_downgrade_upgrade(scratch: str) -> None:
    check_round_trip(scratch, "identity", IdentityBase.metadata)


def test_models_and_migrations_agree_on_the_test_database(database_url: str) -> None:
    assert schema_differences(database_url, IdentityBase.metadata) == []

from tests.identity.conftest import identity_service  # noqa: F401 (shared fixture)

"""Revocations: a user token issued under an older security stamp is refused, the check is
local, and a verifier whose feed went stale refuses user tokens (fails closed) while service
identities keep working."""

from __future__ import annotations

import uuid

import pytest

from services.kernel.enums import UserRoleEnum
from services.kernel.errors import Unauthenticated, Unavailable
from services.kernel.revocation import Revocations
from services.kernel.tokens import AccessTokenSigner, KeyMaterial, ServiceIdentity, TokenVerifier
from tests.kernel.test_runtime_config import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def revocations(clock: Clock) -> Revocations:
    revocations = Revocations(max_staleness_seconds=10, clock=clock)
    revocations.mark_synced()
    return revocations


@pytest.fixture
def verifier(keys: KeyMaterial, revocations: Revocations) -> TokenVerifier:
    return TokenVerifier(
        keys.public_pem, keys.service_secret, "tagen-identity", revocations=revocations
    )


def issue(keys: KeyMaterial, user_id: uuid.UUID, stamp: int) -> str:
    assert keys.private_pem is not None
    signer = AccessTokenSigner(keys.private_pem, "tagen-identity", 60)
    return signer.issue(user_id, "ann", [UserRoleEnum.APPROVER], stamp)


def test_a_token_under_an_older_stamp_is_refused(verifier, revocations, keys) -> None:
    user_id, other_id = uuid.uuid4(), uuid.uuid4()
    old, others = issue(keys, user_id, 0), issue(keys, other_id, 0)
    assert verifier.verify(old).user_id == user_id  # cached from now on
    revocations.apply([(str(user_id), 1, 7)])
    with pytest.raises(Unauthenticated, match="revoked"):
        verifier.verify(old)
    assert verifier.verify(issue(keys, user_id, 1)).user_id == user_id
    assert verifier.verify(others).user_id == other_id
    assert revocations.last_sequence == 7


def test_changes_never_lower_a_stamp(revocations) -> None:
    revocations.apply([("u", 3, 1), ("u", 2, 2)])
    with pytest.raises(Unauthenticated):
        revocations.check("u", 2)
    revocations.check("u", 3)


def test_a_stale_feed_fails_closed_for_users_only(verifier, revocations, keys, clock) -> None:
    token = issue(keys, uuid.uuid4(), 0)
    verifier.verify(token)
    clock.now += 11
    with pytest.raises(Unavailable):
        verifier.verify(token)
    service = ServiceIdentity("requests", keys.service_secret).token()
    assert verifier.verify(service).is_service
    revocations.mark_synced()
    verifier.verify(token)


def test_nothing_is_accepted_before_the_first_sync(keys, clock) -> None:
    never = Revocations(max_staleness_seconds=10, clock=clock)
    verifier = TokenVerifier(
        keys.public_pem, keys.service_secret, "tagen-identity", revocations=never
    )
    with pytest.raises(Unavailable):
        verifier.verify(issue(keys, uuid.uuid4(), 0))

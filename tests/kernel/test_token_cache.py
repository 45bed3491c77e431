"""TokenVerifier's cache: a verified token is remembered until its expiry, never longer, and
nothing unverified is ever accepted from the cache."""

from __future__ import annotations

import time
import uuid

import pytest

from services.kernel.enums import UserRoleEnum
from services.kernel.errors import Unauthenticated
from services.kernel.tokens import AccessTokenSigner, KeyMaterial, ServiceIdentity, TokenVerifier


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(keys: KeyMaterial, clock: Clock) -> TokenVerifier:
    return TokenVerifier(
        keys.public_pem, keys.service_secret, "tagen-identity", max_entries=3, clock=clock
    )


def user_token(keys: KeyMaterial, ttl: int = 60) -> str:
    assert keys.private_pem is not None
    signer = AccessTokenSigner(keys.private_pem, "tagen-identity", ttl)
    return signer.issue(uuid.uuid4(), "ann", [UserRoleEnum.APPROVER])


def test_remembers_until_expiry(verifier, keys, clock, monkeypatch) -> None:
    token = user_token(keys)
    first = verifier.verify(token)
    assert first.roles == {UserRoleEnum.APPROVER}
    checks: list[str] = []
    original = TokenVerifier._verify_signature
    monkeypatch.setattr(
        TokenVerifier,
        "_verify_signature",
        lambda self, t: checks.append(t) or original(self, t),
    )
    assert verifier.verify(token) == first
    assert checks == []  # served from the cache
    clock.now += 120  # past exp and the leeway
    verifier.verify(token)  # past its exp for the cache: the signature and exp are checked again
    assert checks == [token]


def test_expired_tokens_are_refused(verifier, keys) -> None:
    with pytest.raises(Unauthenticated, match="expired"):
        verifier.verify(user_token(keys, ttl=-60))


def test_bad_tokens_are_never_cached(verifier, keys) -> None:
    token = user_token(keys)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            verifier.verify(forged)
    assert verifier.verify(token).kind == "user"


def test_bounded_and_service_tokens(verifier, keys) -> None:
    tokens = [user_token(keys) for _ in range(5)]
    for token in tokens:
        verifier.verify(token)
    assert len(verifier._verified) == 3
    service = ServiceIdentity("validation", keys.service_secret).token()
    assert verifier.verify(service).subject == "service:validation"

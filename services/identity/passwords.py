"""Argon2id password hashing and the password policy."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from services.kernel.errors import InvalidArgument

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
#: Characters a password must have besides the username it contains.
MIN_OTHER_CHARACTERS = 8


class Passwords:
    def __init__(self, time_cost: int, memory_kib: int) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        # Verified against when a user does not exist, so timing does not tell.
        self._decoy = self._hasher.hash("decoy-password-for-timing")

    def hash(self, password: str) -> str:
        """The Argon2id hash of a password (the caller has applied `check_password`)."""
        return self._hasher.hash(password)

    def verify(self, hashed: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(hashed or self._decoy, password) and hashed is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


@cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common leaked passwords, as the zxcvbn library ships them."""
    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password(password: str, username: str, field: str = "password") -> None:
    """The policy: 12 to 256 characters, not (mostly) the username, not a commonly used
    password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidArgument(field, f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidArgument(field, f"must be at most {MAX_PASSWORD_LENGTH} characters")
    lowered = password.lower()
    if username and len(lowered.replace(username.lower(), "")) < MIN_OTHER_CHARACTERS:
        raise InvalidArgument(field, "must not be (mostly) the username")
    if lowered in _common_passwords():
        raise InvalidArgument(field, "is a commonly used password")

"""Refresh tokens, stored as SHA-256 hashes, in families that descend from one login."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from services.identity.models import RefreshToken
from services.kernel.repository import BaseRepository

ROTATED = "rotated"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RefreshTokenRepository(BaseRepository[RefreshToken]):
    model = RefreshToken

    async def store(
        self, user_id: uuid.UUID, token: str, ttl: timedelta, family_id: uuid.UUID | None = None
    ) -> RefreshToken:
        """A new token: of `family_id` when it replaces one, else the first of a new family."""
        token_id = uuid.uuid4()
        row = RefreshToken(
            id=token_id,
            user_id=user_id,
            token_hash=hash_token(token),
            expires_at=datetime.now(UTC) + ttl,
            family_id=family_id or token_id,
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def find_for_update(self, token: str) -> RefreshToken | None:
        """The token's row, locked so that two refreshes cannot both use it."""
        return await self.session.scalar(
            select(RefreshToken)
            .where(RefreshToken.token_hash == hash_token(token))
            .with_for_update()
        )

    async def revoke(self, row: RefreshToken, reason: str) -> None:
        row.revoked_at = datetime.now(UTC)
        row.revoke_reason = reason
        await self.session.flush()

    async def revoke_family(self, family_id: uuid.UUID, reason: str) -> int:
        """Revoke every live token of a family (a rotated token was used again)."""
        result = await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC), revoke_reason=reason)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def revoke_all_for_user(self, user_id: uuid.UUID, reason: str = "deactivated") -> int:
        result = await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC), revoke_reason=reason)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

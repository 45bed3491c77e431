"""Refresh tokens, stored as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from services.identity.models import RefreshToken
from services.kernel.repository import BaseRepository


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RefreshTokenRepository(BaseRepository[RefreshToken]):
    model = RefreshToken

    async def store(self, user_id: uuid.UUID, token: str, ttl: timedelta) -> RefreshToken:
        row = RefreshToken(
            user_id=user_id, token_hash=hash_token(token), expires_at=datetime.now(UTC) + ttl
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

    async def revoke(self, row: RefreshToken) -> None:
        row.revoked_at = datetime.now(UTC)
        await self.session.flush()

    async def revoke_all_for_user(self, user_id: uuid.UUID) -> int:
        result = await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

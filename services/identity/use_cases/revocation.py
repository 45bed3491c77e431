"""Ending a user's access at once: the one step every use case that removes access takes."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.repositories import RefreshTokenRepository, SecurityStampRepository


async def end_access(
    session: AsyncSession, user_id: uuid.UUID, reason: str, *, keep_refresh_tokens: bool = False
) -> None:
    """Raise the user's security stamp, so every service refuses their current access tokens
    within the feed's poll interval, and (unless kept, as for a role change whose refresh should
    simply carry the new roles) revoke every refresh token of the user."""
    if not keep_refresh_tokens:
        await RefreshTokenRepository(session).revoke_all_for_user(user_id, reason)
    await SecurityStampRepository(session).bump(user_id)

"""Security stamps: bumped when a user's access must end at once, read as an ordered feed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, text

from services.identity.models import SecurityStamp
from services.kernel.repository import BaseRepository

#: Serialises stamp changes so that sequence numbers become visible in commit order: a reader
#: that saw sequence n never later sees a change with a smaller number appear.
_ORDER_LOCK = "SELECT pg_advisory_xact_lock(hashtext('tagen.security_stamps'))"

_BUMP = text(
    "INSERT INTO identity.security_stamps (user_id, stamp, sequence) "
    "VALUES (:user_id, 1, nextval('identity.security_stamp_sequence')) "
    "ON CONFLICT (user_id) DO UPDATE SET stamp = security_stamps.stamp + 1, "
    "sequence = EXCLUDED.sequence, changed_at = now() RETURNING stamp"
)


@dataclass(frozen=True)
class StampChange:
    user_id: uuid.UUID
    stamp: int
    sequence: int


class SecurityStampRepository(BaseRepository[SecurityStamp]):
    model = SecurityStamp

    async def current(self, user_id: uuid.UUID) -> int:
        """The user's stamp (0 when it never changed)."""
        stamp = await self.session.scalar(
            select(SecurityStamp.stamp).where(SecurityStamp.user_id == user_id)
        )
        return int(stamp or 0)

    async def bump(self, user_id: uuid.UUID) -> int:
        """Raise the user's stamp: every access token issued before stops working."""
        await self.session.execute(text(_ORDER_LOCK))
        stamp = await self.session.scalar(_BUMP, {"user_id": user_id})
        return int(stamp)

    async def changes_after(self, sequence: int, limit: int) -> list[StampChange]:
        """Stamp changes with a sequence number above `sequence`, oldest first."""
        rows = await self.session.execute(
            select(SecurityStamp.user_id, SecurityStamp.stamp, SecurityStamp.sequence)
            .where(SecurityStamp.sequence > sequence)
            .order_by(SecurityStamp.sequence)
            .limit(limit)
        )
        return [StampChange(r.user_id, r.stamp, r.sequence) for r in rows]

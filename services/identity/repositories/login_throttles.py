"""Failed logins per username and per client IP, with exponential backoff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from services.identity.models import LoginThrottle
from services.kernel.repository import BaseRepository

USERNAME = "username"
IP = "ip"


@dataclass(frozen=True)
class ThrottlePolicy:
    """After `threshold` failures of one subject, attempts wait base * 2**(extra failures)
    seconds, at most `maximum`; a subject quiet for `maximum` seconds starts over."""

    username_threshold: int
    ip_threshold: int
    base_seconds: float
    maximum_seconds: float

    def threshold(self, scope: str) -> int:
        return self.username_threshold if scope == USERNAME else self.ip_threshold

    def delay(self, scope: str, failures: int) -> float | None:
        over = failures - self.threshold(scope)
        if over < 0:
            return None
        return min(self.maximum_seconds, self.base_seconds * 2 ** min(over, 30))


class LoginThrottleRepository(BaseRepository[LoginThrottle]):
    model = LoginThrottle

    async def blocked_until(self, subjects: list[tuple[str, str]]) -> datetime | None:
        """The latest time until which any of the (scope, subject) pairs must wait, if any."""
        if not subjects:
            return None
        keys = [(scope, subject[:255]) for scope, subject in subjects]
        until = await self.session.scalar(
            select(func.max(LoginThrottle.blocked_until)).where(
                func.row(LoginThrottle.scope, LoginThrottle.subject).in_(keys),
                LoginThrottle.blocked_until > datetime.now(UTC),
            )
        )
        return until

    async def record_failure(self, scope: str, subject: str, policy: ThrottlePolicy) -> None:
        """Count one failed attempt and block the subject once it passed its threshold."""
        now = datetime.now(UTC)
        subject = subject[:255]
        await self.session.execute(
            insert(LoginThrottle)
            .values(scope=scope, subject=subject, failures=0, last_failure_at=now)
            .on_conflict_do_nothing(index_elements=[LoginThrottle.scope, LoginThrottle.subject])
        )
        row = await self.session.scalar(
            select(LoginThrottle)
            .where(LoginThrottle.scope == scope, LoginThrottle.subject == subject)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert row is not None
        quiet = now - row.last_failure_at > timedelta(seconds=policy.maximum_seconds)
        row.failures = 1 if quiet else row.failures + 1
        row.last_failure_at = now
        delay = policy.delay(scope, row.failures)
        row.blocked_until = now + timedelta(seconds=delay) if delay is not None else None
        await self.session.flush()

    async def clear(self, scope: str, subject: str) -> None:
        await self.session.execute(
            delete(LoginThrottle).where(
                LoginThrottle.scope == scope, LoginThrottle.subject == subject[:255]
            )
        )

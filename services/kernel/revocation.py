"""Access that is removed ends at once, while tokens are still verified locally.

Every access token carries the security stamp its user had when it was issued (claim `stv`).
Identity raises a user's stamp whenever their access must end (deactivation, deletion, a role
change, a password change, "log out everywhere") and serves the changes as an ordered feed
(`ListSecurityStampChanges`, resumable from a sequence number). Every service follows that feed
in the background (`RevocationFeed`, polling every REVOCATION_POLL_SECONDS) and keeps the
stamps in memory (`Revocations`): checking a token is one dictionary lookup, no call.

A service that could not read the feed for longer than REVOCATION_MAX_STALENESS_SECONDS fails
closed: it refuses user tokens (UNAVAILABLE) until the feed answers again; service identities
are not affected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable

import grpc
from tagen.identity.v1 import identity_pb2, identity_pb2_grpc

from services.kernel.errors import Unauthenticated, Unavailable
from services.kernel.tokens import ServiceIdentity

log = logging.getLogger(__name__)

FEED_BATCH = 1000
RPC_TIMEOUT_SECONDS = 2.0


class Revocations:
    """The newest security stamp of every user whose stamp ever changed."""

    def __init__(
        self, max_staleness_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_staleness = max_staleness_seconds
        self.last_sequence = 0
        self._clock = clock
        self._stamps: dict[str, int] = {}
        self._synced_at: float | None = None

    def apply(self, changes: Iterable[tuple[str, int, int]]) -> None:
        """Take in (user id, stamp, sequence) changes, oldest first."""
        for subject, stamp, sequence in changes:
            if stamp > self._stamps.get(subject, 0):
                self._stamps[subject] = stamp
            self.last_sequence = max(self.last_sequence, sequence)

    def mark_synced(self) -> None:
        """The feed answered: everything up to `last_sequence` is known."""
        self._synced_at = self._clock()

    @property
    def is_current(self) -> bool:
        synced = self._synced_at
        return synced is not None and self._clock() - synced <= self.max_staleness

    def check(self, subject: str, stamp: int) -> None:
        """Refuse a user token whose stamp is older than the user's, or any user token while
        the feed is stale."""
        if not self.is_current:
            raise Unavailable("access revocations are not current; try again shortly")
        if self._stamps.get(subject, 0) > stamp:
            raise Unauthenticated("token revoked; sign in again")


class RevocationFeed:
    """Follows identity's stamp changes into a `Revocations`, shared by the servers of one
    process (started by the first server, stopped with the last)."""

    def __init__(
        self,
        revocations: Revocations,
        identity_address: str,
        service_identity: ServiceIdentity,
        poll_seconds: float,
    ) -> None:
        self.revocations = revocations
        self.address = identity_address
        self.identity = service_identity
        self.poll_seconds = poll_seconds
        self._users = 0
        self._task: asyncio.Task[None] | None = None
        self._channel: grpc.aio.Channel | None = None
        self._first_sync = asyncio.Event()

    async def acquire(self) -> None:
        """Start following (once per process) and wait a bounded time for the first answer."""
        self._users += 1
        if self._task is None:
            self._first_sync = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name="revocation-feed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_sync.wait(), self.revocations.max_staleness)

    async def release(self) -> None:
        self._users -= 1
        if self._users > 0 or self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def sync_once(self) -> None:
        """Read every change after the last one seen."""
        if self._channel is None:
            self._channel = grpc.aio.insecure_channel(self.address)
        stub = identity_pb2_grpc.IdentityServiceStub(self._channel)
        while True:
            reply = await stub.ListSecurityStampChanges(
                identity_pb2.ListSecurityStampChangesRequest(
                    after_sequence=self.revocations.last_sequence, max_changes=FEED_BATCH
                ),
                metadata=self.identity.metadata(),
                timeout=RPC_TIMEOUT_SECONDS,
            )
            self.revocations.apply((c.user_id, c.stamp, c.sequence) for c in reply.changes)
            if len(reply.changes) < FEED_BATCH:
                break
        self.revocations.mark_synced()
        self._first_sync.set()

    async def _run(self) -> None:
        failing = False
        while True:
            try:
                await self.sync_once()
                if failing:
                    log.info("revocation feed from %s is back", self.address)
                failing = False
            except grpc.aio.AioRpcError as exc:
                if not failing:
                    log.warning("revocation feed from %s failed: %s", self.address, exc.code().name)
                failing = True
            await asyncio.sleep(self.poll_seconds)

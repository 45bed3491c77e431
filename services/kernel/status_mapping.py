"""The one place where exceptions become gRPC status codes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import asyncpg
import grpc
from advanced_alchemy import exceptions as aa
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from sqlalchemy import exc as sa_exc

from services.kernel.errors import DomainError, InvalidArgument, ResourceExhausted

log = logging.getLogger(__name__)

_UNAVAILABLE_DB = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    ConnectionError,
    OSError,
    TimeoutError,
)


@dataclass(frozen=True)
class MappedStatus:
    code: grpc.StatusCode
    message: str
    details: list[any_pb2.Any] = field(default_factory=list)

    def trailing_metadata(self) -> tuple[tuple[str, bytes], ...]:
        """Rich status (google.rpc.Status) for clients that read details."""
        if not self.details:
            return ()
        status = status_pb2.Status(
            code=getattr(code_pb2, self.code.name), message=self.message, details=self.details
        )
        return (("grpc-status-details-bin", status.SerializeToString()),)


def _bad_request(exc: InvalidArgument) -> any_pb2.Any:
    detail = any_pb2.Any()
    detail.Pack(
        error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=exc.field, description=exc.reason)
            ]
        )
    )
    return detail


def _retry_info(seconds: int) -> any_pb2.Any:
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=seconds)))
    return detail


def _from_driver(orig: BaseException | None) -> MappedStatus | None:
    if isinstance(orig, asyncpg.UniqueViolationError):
        return MappedStatus(grpc.StatusCode.ALREADY_EXISTS, "already exists")
    if isinstance(orig, asyncpg.SerializationError | asyncpg.DeadlockDetectedError):
        return MappedStatus(grpc.StatusCode.ABORTED, "concurrent change, retry")
    if isinstance(orig, asyncpg.ForeignKeyViolationError):
        return MappedStatus(grpc.StatusCode.FAILED_PRECONDITION, "a referenced row is missing")
    if isinstance(orig, asyncpg.CheckViolationError | asyncpg.DataError):
        return MappedStatus(grpc.StatusCode.INVALID_ARGUMENT, str(orig).split("\n")[0])
    if isinstance(orig, _UNAVAILABLE_DB):
        return MappedStatus(grpc.StatusCode.UNAVAILABLE, "database unavailable")
    return None


def map_exception(exc: BaseException) -> MappedStatus:
    """The status a client sees for `exc`; INTERNAL only for real bugs."""
    if isinstance(exc, InvalidArgument):
        return MappedStatus(exc.status, exc.message, [_bad_request(exc)])
    if isinstance(exc, ResourceExhausted) and exc.retry_after_seconds is not None:
        return MappedStatus(exc.status, exc.message, [_retry_info(exc.retry_after_seconds)])
    if isinstance(exc, DomainError):
        return MappedStatus(exc.status, exc.message)
    if isinstance(exc, grpc.aio.AioRpcError):
        code = exc.code()
        if code in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE):
            return MappedStatus(
                grpc.StatusCode.UNAVAILABLE, f"dependency unavailable: {exc.details()}"
            )
        if code not in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL):
            return MappedStatus(code, exc.details() or code.name)
    if isinstance(exc, aa.NotFoundError):
        return MappedStatus(grpc.StatusCode.NOT_FOUND, str(exc) or "not found")
    if isinstance(exc, aa.DuplicateKeyError):
        return MappedStatus(grpc.StatusCode.ALREADY_EXISTS, "already exists")
    if isinstance(exc, aa.ForeignKeyError):
        return MappedStatus(grpc.StatusCode.FAILED_PRECONDITION, "a referenced row is missing")
    if isinstance(exc, aa.RepositoryError | sa_exc.DBAPIError):
        cause: BaseException | None = exc
        seen = 0
        while cause is not None and seen < 5:
            orig = getattr(cause, "orig", None)
            mapped = _from_driver(orig) or _from_driver(cause)
            if mapped:
                return mapped
            cause = cause.__cause__ or orig
            seen += 1
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.InterfaceError | sa_exc.OperationalError):
        return MappedStatus(grpc.StatusCode.UNAVAILABLE, "database unavailable")
    if isinstance(exc, _UNAVAILABLE_DB):
        return MappedStatus(grpc.StatusCode.UNAVAILABLE, "dependency unavailable")
    log.exception("unexpected error", exc_info=exc)
    return MappedStatus(grpc.StatusCode.INTERNAL, "internal error")

"""The domain error family, mapped once to gRPC status codes."""

from __future__ import annotations

import grpc


class DomainError(Exception):
    """Base of every error a use case raises on purpose."""

    status: grpc.StatusCode = grpc.StatusCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status = grpc.StatusCode.NOT_FOUND

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key} not found")
        self.entity = entity
        self.key = key


class InvalidArgument(DomainError):
    """Bad input: names the field and says why."""

    status = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class FailedPrecondition(DomainError):
    status = grpc.StatusCode.FAILED_PRECONDITION


class AlreadyExists(DomainError):
    status = grpc.StatusCode.ALREADY_EXISTS


class Aborted(DomainError):
    """A concurrent change won; the caller may retry."""

    status = grpc.StatusCode.ABORTED


class Unauthenticated(DomainError):
    status = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(DomainError):
    status = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhausted(DomainError):
    """Too many attempts or too much at once; `retry_after_seconds` says when to try again."""

    status = grpc.StatusCode.RESOURCE_EXHAUSTED

    def __init__(self, message: str, retry_after_seconds: int | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class Unavailable(DomainError):
    status = grpc.StatusCode.UNAVAILABLE

"""Errors become the right gRPC status codes, in one place."""

from __future__ import annotations

import asyncpg
import grpc
import pytest
from sqlalchemy import exc as sa_exc

from services.kernel import errors
from services.kernel.status_mapping import map_exception


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (errors.NotFound("request", "x"), grpc.StatusCode.NOT_FOUND),
        (errors.InvalidArgument("f", "bad"), grpc.StatusCode.INVALID_ARGUMENT),
        (errors.FailedPrecondition("no"), grpc.StatusCode.FAILED_PRECONDITION),
        (errors.AlreadyExists("dup"), grpc.StatusCode.ALREADY_EXISTS),
        (errors.Aborted("race"), grpc.StatusCode.ABORTED),
        (errors.Unauthenticated("who"), grpc.StatusCode.UNAUTHENTICATED),
        (errors.PermissionDenied("no"), grpc.StatusCode.PERMISSION_DENIED),
        (errors.Unavailable("down"), grpc.StatusCode.UNAVAILABLE),
        (ConnectionRefusedError(), grpc.StatusCode.UNAVAILABLE),
        (
            sa_exc.DBAPIError("SELECT", {}, asyncpg.UniqueViolationError("dup")),
            grpc.StatusCode.ALREADY_EXISTS,
        ),
        (
            sa_exc.DBAPIError("SELECT", {}, asyncpg.SerializationError("ser")),
            grpc.StatusCode.ABORTED,
        ),
        (
            sa_exc.DBAPIError("SELECT", {}, asyncpg.CannotConnectNowError("starting")),
            grpc.StatusCode.UNAVAILABLE,
        ),
        (sa_exc.TimeoutError("pool"), grpc.StatusCode.UNAVAILABLE),
        (ZeroDivisionError(), grpc.StatusCode.INTERNAL),
    ],
)
def test_mapping(exc: BaseException, code: grpc.StatusCode) -> None:
    assert map_exception(exc).code == code


def test_invalid_argument_carries_the_field_in_rich_details() -> None:
    mapped = map_exception(errors.InvalidArgument("email", "is not valid"))
    assert mapped.message == "email: is not valid"
    [(key, value)] = mapped.trailing_metadata()
    assert key == "grpc-status-details-bin" and b"email" in value


def test_internal_errors_do_not_leak_details() -> None:
    assert map_exception(RuntimeError("secret path /etc")).message == "internal error"

"""Reading the field an INVALID_ARGUMENT names."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2


def bad_field(err: grpc.aio.AioRpcError) -> str:
    """The field named by an INVALID_ARGUMENT's BadRequest detail."""
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err.details()
    raw = dict(err.trailing_metadata() or ())["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(raw)
    detail = error_details_pb2.BadRequest()
    status.details[0].Unpack(detail)
    return detail.field_violations[0].field

"""The permission matrix of ValidationService: as for the request (its REQUESTOR owner,
APPROVERs, ADMINs, services). A requestor asking about someone else's request gets NOT_FOUND
(where requestors may call the RPC at all), other refused callers PERMISSION_DENIED, a call
without a token UNAUTHENTICATED."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import pytest
from tagen.validation.v1 import validation_pb2 as pb

from services.kernel.settings import Settings
from services.kernel.storage import LocalStorage, StoredObject
from services.requests.enums import RequestStatus
from services.validation.access import ACCESS
from tests.requests.conftest import make_request
from tests.validation.conftest import make_revision, make_run

CALLERS = ["owner", "other", "approver", "admin", "km", "service", "nobody"]
ALLOWED = {"owner", "approver", "admin", "service"}
#: RPCs with other callers than the request's readers.
ALLOWED_FOR = {"CancelValidation": {"approver", "admin"}}

Call = Callable[[Any, Any, dict[str, str]], Awaitable[Any]]

CASES: dict[str, Call] = {
    "QueueValidation": lambda rpc, md, x: rpc.QueueValidation(
        pb.QueueValidationRequest(request_id=x["request"], ta_revision_id=x["revision"]),
        metadata=md,
    ),
    "ListValidations": lambda rpc, md, x: rpc.ListValidations(
        pb.ListValidationsRequest(request_id=x["request"]), metadata=md
    ),
    "GetValidation": lambda rpc, md, x: rpc.GetValidation(
        pb.GetValidationRequest(run_id=x["run"]), metadata=md
    ),
    "CancelValidation": lambda rpc, md, x: rpc.CancelValidation(
        pb.CancelValidationRequest(run_id=x["run"]), metadata=md
    ),
    "DownloadDebugBundle": lambda rpc, md, x: _first(
        rpc.DownloadDebugBundle(pb.DownloadDebugBundleRequest(run_id=x["run"]), metadata=md)
    ),
}


async def _first(stream: Any) -> Any:
    """The stream's first message (the file info)."""
    async for message in stream:
        return message
    raise AssertionError("empty stream")


async def debug_bundle(settings: Settings) -> StoredObject:
    """A debug bundle object in the validation service's store."""
    storage = LocalStorage(settings.data_dir / "objects", settings.storage_bucket)

    async def content() -> AsyncIterator[bytes]:
        yield b"PK-not-really-a-zip"

    return await storage.put(f"debug/{uuid.uuid4()}.zip", content(), max_size=1024)


def test_every_rpc_is_in_the_matrix_and_the_access_table() -> None:
    service = pb.DESCRIPTOR.services_by_name["ValidationService"]
    names = {m.name for m in service.methods}
    assert names == set(CASES)
    assert {key.rsplit("/", 1)[1] for key in ACCESS} == names


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("name", list(CASES))
async def test_matrix(rpc, cast, clean, validation_settings, name: str, caller: str) -> None:
    request = await make_request(clean, cast.owner.user_id, RequestStatus.APPROVED)
    revision = await make_revision(clean, request.id)
    bundle = await debug_bundle(validation_settings)
    run = await make_run(
        clean,
        request.id,
        ta_revision_id=revision.id,
        debug_bundle_key=bundle.key,
        debug_bundle_bucket=bundle.bucket,
    )
    ids = {"request": str(request.id), "revision": str(revision.id), "run": str(run.id)}
    who = getattr(cast, caller)
    if caller in ALLOWED_FOR.get(name, ALLOWED):
        reply = await CASES[name](rpc, who.md, ids)
        assert reply.ByteSize() > 0
        return
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await CASES[name](rpc, who.md, ids)
    expected = grpc.StatusCode.PERMISSION_DENIED
    if caller == "nobody":
        expected = grpc.StatusCode.UNAUTHENTICATED
    elif caller == "other" and name not in ALLOWED_FOR:
        # A role that may never call the RPC is refused before the run is looked up (the
        # answer says nothing about whether it exists); readers' RPCs hide others' runs.
        expected = grpc.StatusCode.NOT_FOUND
    assert err.value.code() == expected, err.value.details()

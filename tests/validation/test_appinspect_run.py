"""One run with splunk-appinspect on (a few seconds): its report lands in the results."""

from __future__ import annotations

import pytest
from tagen.validation.v1 import validation_pb2 as pb

from services.kernel.server import GrpcService
from services.kernel.settings import Settings
from services.kernel.tokens import KeyMaterial
from services.validation import app
from services.validation.enums import ValidationStatus as S
from services.validation.runner import ValidationRunner
from tests.validation.conftest import load_run, validation_runtime
from tests.validation.helpers import SAMPLE, apache_ta, request_with_revision

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("validation-runner")]


async def test_a_run_with_appinspect(
    rpc,
    requests_rpc,
    cast,
    clean,
    validation_settings: Settings,
    keys: KeyMaterial,
    requests_service: GrpcService,
) -> None:
    prepared = await request_with_revision(
        clean, requests_rpc, cast, apache_ta(), {"access.log": SAMPLE.read_bytes()}
    )
    queued = (
        await rpc.QueueValidation(  # the session's service is paused: this run waits
            pb.QueueValidationRequest(
                request_id=str(prepared.request_id), ta_revision_id=prepared.revision_id
            ),
            metadata=cast.approver.md,
        )
    ).validation_run
    runtime = validation_runtime(
        validation_settings,
        keys,
        requests_service,
        max_parallel_validations=1,
        validation_run_appinspect=True,
    )
    deps = app.build_deps(runtime, clean)
    try:
        claimed = await ValidationRunner(deps).run_once()
    finally:
        await deps.requests.close()
        await deps.config.close()
    assert [str(r.id) for r in claimed] == [queued.id]
    run = await load_run(clean, queued.id)
    assert run.status is S.PASSED, run.error_message
    appinspect = run.results_json["appinspect"]
    assert appinspect["ran"] is True and appinspect["summary"]
    assert "appinspect" in run.validation_logs

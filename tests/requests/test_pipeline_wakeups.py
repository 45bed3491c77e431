"""The pipeline's hand-offs wake the next stage at once, not at its next poll: with the
generation worker, the validation runner and the verdict relay polling only every 10 minutes,
an approved request still reaches COMPLETED within seconds. Approval wakes the generation
worker of its process (committed job), the queued run wakes the validation runner, the
finished run wakes the verdict relay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from tagen.requests.v1 import requests_pb2 as pb
from tagen.validation.v1 import validation_pb2 as vpb

from services.kernel.db import Database
from services.kernel.settings import Settings
from services.kernel.tokens import KeyMaterial
from tests.requests.test_pipeline import (
    Pipeline,
    approved,
    connected,
    running_services,
    runs_of,
    settled,
)
from tests.validation.helpers import SAMPLE

pytestmark = pytest.mark.xdist_group("pipeline")

POLL_SECONDS = 600.0
WITHIN_SECONDS = 30.0  # far below one poll interval: only a wake-up gets there in time


@pytest.fixture(scope="module")
def idle_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Every background worker of the pipeline on, each polling only every 10 minutes."""
    return settings.model_copy(
        update={
            "data_dir": tmp_path_factory.mktemp("wakeup-data"),
            "storage_backend": "local",
            "storage_bucket": "tagen-wakeups",
            "identity_address": "127.0.0.1:9",
            "audit_address": "127.0.0.1:9",
            "knowledge_address": "127.0.0.1:9",
            "generation_worker_enabled": True,
            "generation_poll_seconds": POLL_SECONDS,
            "validation_poll_seconds": POLL_SECONDS,
            "validation_sweep_interval_seconds": POLL_SECONDS,
            "validation_run_appinspect": False,
        }
    )


@pytest.fixture(scope="module")
async def idle_pipeline(
    idle_settings: Settings, keys: KeyMaterial, database: Database
) -> AsyncIterator[Pipeline]:
    async with (
        running_services(idle_settings, keys) as started,
        connected(*started, database) as pipeline,
    ):
        yield pipeline


async def test_approval_reaches_completed_without_waiting_for_a_poll(idle_pipeline, cast) -> None:
    p = idle_pipeline
    loop_time = asyncio.get_running_loop().time
    started = loop_time()
    rid = await approved(p, cast, SAMPLE.read_bytes())
    final = await settled(p, cast, rid, within=WITHIN_SECONDS)
    assert final.request.status == pb.COMPLETED, final.request.failure.message
    assert loop_time() - started < WITHIN_SECONDS < POLL_SECONDS
    [run] = await runs_of(p, cast, rid)
    assert run.status == vpb.PASSED

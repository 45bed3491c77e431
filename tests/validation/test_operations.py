"""Operating the validation service: splunk-appinspect never sees the service's secrets,
VALIDATION_MODE splits API pods from worker pods, and the queue is measured."""

from __future__ import annotations

import stat
import uuid
from pathlib import Path

import pytest

from services.kernel.db import Database
from services.kernel.metrics import label_values
from services.kernel.runtime import Runtime
from services.kernel.settings import Settings
from services.kernel.tokens import KeyMaterial
from services.validation import app
from services.validation.enums import ValidationStatus
from services.validation.queue_metrics import QueueGauges
from services.validation.repositories import ValidationRunRepository
from services.validation.ta_checker.appinspect import run_appinspect

ALLOWED = {"PATH", "HOME", "TMPDIR", "LANG", "PYTHONIOENCODING", "PWD", "SHLVL", "_"}


def test_appinspect_runs_with_a_scrubbed_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://svc:secret@db/tagen")
    monkeypatch.setenv("SERVICE_TOKEN_SECRET", "do-not-leak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-leak-either")
    fake = tmp_path / "splunk-appinspect"
    fake.write_text('#!/bin/sh\nenv > "$PWD/seen-environment.txt"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    package = tmp_path / "TA-test.tgz"
    package.write_bytes(b"not inspected")
    run_appinspect(package, tmp_path, executable=str(fake), timeout=30)
    seen = dict(
        line.split("=", 1)
        for line in (tmp_path / "seen-environment.txt").read_text().splitlines()
        if "=" in line
    )
    assert set(seen) <= ALLOWED, set(seen) - ALLOWED
    assert "PATH" in seen and seen["PYTHONIOENCODING"] == "utf-8"


def background_names(runtime: Runtime, db: Database) -> list[str]:
    definition = app.build(runtime, db)
    return [getattr(job, "__qualname__", "") for job in definition.background]


@pytest.mark.parametrize(
    ("mode", "runs_validations"), [("all", True), ("api", False), ("worker", True)]
)
async def test_the_mode_decides_whether_the_pod_runs_validations(
    settings: Settings, keys: KeyMaterial, database: Database, mode: str, runs_validations: bool
) -> None:
    runtime = Runtime.from_keys(settings.model_copy(update={"validation_mode": mode}), keys)
    names = background_names(runtime, database)
    assert ("ValidationRunner.run_forever" in names) is runs_validations
    assert "OutboxRelay.run" in names and "QueueGauges.run_forever" in names


async def test_queue_depth_is_measured_from_the_database(clean_database: Database) -> None:
    async with clean_database.unit_of_work() as session:
        for _ in range(2):
            await ValidationRunRepository(session).create(
                {
                    "request_id": uuid.uuid4(),
                    "ta_revision_id": uuid.uuid4(),
                    "status": ValidationStatus.QUEUED,
                }
            )
    await QueueGauges(clean_database).measure_once()
    assert list(label_values("tagen_validation_runs", status="QUEUED")) == [2.0]
    assert list(label_values("tagen_validation_runs", status="RUNNING")) == [0.0]

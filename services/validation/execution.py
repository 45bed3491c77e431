"""One validation run, from RUNNING to PASSED or FAILED: fetch the TA bundle and the
request's log samples from the requests service into a scratch directory, run the TA checker
in a child process (killed when the run is cancelled; the event loop stays free), store the
debug bundle, record the outcome together with its verdict for the requests service.

A run whose inputs cannot be fetched, or whose check breaks, FAILS with the reason; a run
that was finished meanwhile (cancelled, failed as stale) is left as it is and its debug bundle
removed."""

from __future__ import annotations

import asyncio
import logging
import math
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.kernel.errors import DomainError, FailedPrecondition
from services.kernel.metrics import timed_stage
from services.kernel.storage import StoredObject
from services.validation.check_process import CheckSpec, run_check
from services.validation.enums import ValidationStatus
from services.validation.models import ValidationRun
from services.validation.repositories import ValidationRunRepository, VerdictRepository
from services.validation.run_events import record_status_change
from services.validation.run_log import RunLog
from services.validation.ta_checker import CheckResult
from services.validation.use_cases.deps import ValidationDeps

log = logging.getLogger(__name__)

BUNDLE_TYPE = "application/zip"
MAX_ERRORS_IN_MESSAGE = 5


@dataclass(frozen=True)
class Inputs:
    package: Path
    samples: list[tuple[str, Path]]
    cim_required: bool


def debug_bundle_key(run: ValidationRun) -> str:
    """The object key of a run's debug bundle, chosen by the service."""
    return f"debug/{run.request_id}/{run.id}.zip"


def json_safe(value: Any) -> Any:
    """The results document as JSONB accepts it (NaN and infinities become null)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def failure_message(results: dict[str, Any]) -> str:
    """Why the checker failed the TA: its first error messages."""
    messages = [str(e.get("message", "")) for e in results.get("errors", [])]
    if not messages:
        return "the TA did not pass the check"
    shown = "; ".join(messages[:MAX_ERRORS_IN_MESSAGE])
    more = len(messages) - MAX_ERRORS_IN_MESSAGE
    return shown + (f" (and {more} more errors)" if more > 0 else "")


def _unique_name(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate = f"{number}-{name}"
        number += 1
    taken.add(candidate)
    return candidate


class RunExecution:
    """Executes claimed runs for one service process."""

    def __init__(self, deps: ValidationDeps) -> None:
        self.deps = deps

    def options(self, cim_required: bool) -> dict[str, Any]:
        """The CheckOptions fields a run sets (from the settings and the request)."""
        settings = self.deps.settings
        return {
            "run_appinspect": settings.validation_run_appinspect,
            "appinspect_timeout": settings.validation_appinspect_timeout_seconds,
            "cim_required": cim_required,
            "max_events_per_sample": settings.validation_max_events_per_sample or None,
        }

    async def execute(self, run: ValidationRun) -> ValidationRun | None:
        """Run the check and complete the run; returns the completed run (None when it was
        no longer RUNNING when the check ended)."""
        run_log = RunLog()
        run_log.add(f"run {run.id} on {run.splunk_container_id}: TA revision {run.ta_revision_id}")
        scratch = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="tagen-validation-"))
        try:
            inputs = await self._fetch(run, scratch, run_log)
            options = self.options(inputs.cim_required)
            with_appinspect = " with splunk-appinspect" if options["run_appinspect"] else ""
            run_log.add(f"checking the TA{with_appinspect}")
            with timed_stage("validate"):
                result = await run_check(
                    CheckSpec(inputs.package, inputs.samples, options, scratch)
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            reason = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, DomainError):
                log.exception("validation run %s broke", run.id)
            run_log.add(f"error: {reason}")
            return await self._complete(run, ValidationStatus.FAILED, None, None, run_log, reason)
        finally:
            await asyncio.to_thread(shutil.rmtree, scratch, True)
        self._summarize(result, run_log)
        stored = await self._store_bundle(run, result, run_log)
        status = ValidationStatus.PASSED if result.passed else ValidationStatus.FAILED
        error = None if result.passed else failure_message(result.results)
        return await self._complete(run, status, json_safe(result.results), stored, run_log, error)

    async def _fetch(self, run: ValidationRun, scratch: Path, run_log: RunLog) -> Inputs:
        requests = self.deps.requests
        details = await requests.get_request(run.request_id)
        revision = next((r for r in details.ta_revisions if r.id == str(run.ta_revision_id)), None)
        if revision is None:
            raise FailedPrecondition(
                f"TA revision {run.ta_revision_id} is no longer part of the request"
            )
        package = scratch / "package.tgz"
        info = await requests.download_revision(run.request_id, revision.version, package)
        run_log.add(f"fetched TA bundle v{revision.version} {info.filename} ({info.size} bytes)")
        samples_dir = scratch / "samples"
        await asyncio.to_thread(samples_dir.mkdir)
        samples: list[tuple[str, Path]] = []
        taken: set[str] = set()
        for index, sample in enumerate(details.log_samples):
            target = samples_dir / f"{index:04d}.log"
            info = await requests.download_sample(run.request_id, sample.id, target)
            name = _unique_name(sample.filename or f"sample-{index}", taken)
            samples.append((name, target))
            run_log.add(f"fetched log sample {name} ({info.size} bytes)")
        if not samples:
            run_log.add("the request has no log samples")
        return Inputs(package, samples, details.request.cim_required)

    @staticmethod
    def _summarize(result: CheckResult, run_log: RunLog) -> None:
        results = result.results
        checker = results.get("checker", {})
        run_log.add(
            f"{checker.get('name')} {checker.get('version')}: "
            f"{'PASSED' if result.passed else 'FAILED'}, {len(results['errors'])} errors, "
            f"{len(results['warnings'])} warnings, {results['fields_extracted']} fields extracted"
        )
        appinspect = results.get("appinspect") or {}
        if appinspect.get("ran"):
            summary = appinspect.get("summary", {})
            run_log.add(
                f"appinspect {appinspect.get('version')}: {summary.get('failure', 0)} failures, "
                f"{summary.get('error', 0)} errors, {summary.get('warning', 0)} warnings"
            )
        for kind in ("errors", "warnings"):
            for entry in results[kind]:
                run_log.add(f"{kind[:-1]}: {entry.get('message', '')}")

    async def _store_bundle(
        self, run: ValidationRun, result: CheckResult, run_log: RunLog
    ) -> StoredObject | None:
        async def chunks() -> AsyncIterator[bytes]:
            yield result.debug_bundle

        try:
            stored = await self.deps.storage.put(
                debug_bundle_key(run),
                chunks(),
                max_size=self.deps.settings.max_debug_bundle_size_bytes,
                content_type=BUNDLE_TYPE,
            )
        except Exception as exc:
            reason = exc.message if isinstance(exc, DomainError) else repr(exc)
            log.warning("debug bundle of validation run %s not stored: %s", run.id, reason)
            run_log.add(f"debug bundle not stored: {reason}")
            return None
        run_log.add(f"debug bundle stored as {stored.bucket}/{stored.key} ({stored.size} bytes)")
        return stored

    async def _complete(
        self,
        run: ValidationRun,
        status: ValidationStatus,
        results: dict[str, Any] | None,
        stored: StoredObject | None,
        run_log: RunLog,
        error: str | None,
    ) -> ValidationRun | None:
        run_log.add(f"run {status.value}")
        async with self.deps.db.unit_of_work() as session:
            completed = await ValidationRunRepository(session).complete_validation(
                run.id,
                status,
                results,
                stored.key if stored else None,
                debug_bundle_bucket=stored.bucket if stored else None,
                validation_logs=run_log.text(),
                error_message=error,
            )
            if completed is not None:
                VerdictRepository(session).add_for(completed)
                record_status_change(self.deps.audit, session, completed, ValidationStatus.RUNNING)
        if completed is not None:
            self.deps.finished.set()
        else:
            log.warning("validation run %s was no longer RUNNING; its outcome is dropped", run.id)
            if stored is not None:
                await self._discard(stored)
        return completed

    async def _discard(self, stored: StoredObject) -> None:
        try:
            await self.deps.storage.delete(stored.key, bucket=stored.bucket)
        except Exception:
            log.exception("could not remove debug bundle %s/%s", stored.bucket, stored.key)

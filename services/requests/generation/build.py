"""One generation: the request's live log samples streamed from object storage into the TA
builder (in a worker thread, bounded memory), and the `generation_metadata` that says what
produced the TA."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.kernel.storage import ObjectStorage
from services.requests.generation.knowledge import Knowledge
from services.requests.models import LogSample, Request
from services.requests.ta_builder import BuildOptions, BuildResult, Sample, build_ta


@dataclass(frozen=True)
class Generated:
    package: bytes
    config_summary: dict[str, Any]
    generation_metadata: dict[str, Any]


def stored_sample(storage: ObjectStorage, row: LogSample) -> Sample:
    """A sample whose bytes are read from object storage as the builder consumes them."""

    def opener() -> Any:
        return storage.open_reader(row.storage_key, bucket=row.storage_bucket)

    return Sample(row.filename, opener)


def build_options(request: Request, knowledge: Knowledge) -> BuildOptions:
    return BuildOptions(
        source_system=request.source_system,
        cim=request.cim_required,
        preferred_sourcetypes=knowledge.sourcetypes,
    )


async def generate(
    storage: ObjectStorage,
    request: Request,
    samples: list[LogSample],
    knowledge: Knowledge,
    attempt: int,
) -> Generated:
    """Build the TA of `attempt` (the builder's errors propagate: the caller fails the
    request with them)."""
    started = time.monotonic()
    options = build_options(request, knowledge)
    sources = [stored_sample(storage, row) for row in samples]
    result = await asyncio.to_thread(build_ta, sources, options)
    duration = time.monotonic() - started
    return Generated(
        result.package,
        result.config_summary,
        describe(result, samples, knowledge, attempt, duration),
    )


def describe(
    result: BuildResult,
    samples: list[LogSample],
    knowledge: Knowledge,
    attempt: int,
    duration: float,
) -> dict[str, Any]:
    """The builder's own metadata plus what the pipeline knows: the samples by id and
    checksum, the knowledge consulted, the attempt and how long it took."""
    built = result.generation_metadata
    sourcetypes: dict[str, Any] = built.get("sourcetypes", {})
    warnings = list(built.get("warnings", []))
    if knowledge.warning:
        warnings.append(knowledge.warning)
    return {
        **built,
        "attempt": attempt,
        "generated_at": datetime.now(UTC).isoformat(),
        "duration_seconds": round(duration, 3),
        "samples": [
            {
                "id": str(row.id),
                "filename": row.filename,
                "checksum": row.checksum,
                "file_size": row.file_size,
            }
            for row in samples
        ],
        "detected_formats": sorted({st["format"] for st in sourcetypes.values()}),
        "source_types": sorted(sourcetypes),
        "cim_models": sorted(
            {st["data_model"]["name"] for st in sourcetypes.values() if st.get("data_model")}
        ),
        "timestamp_settings": {name: st.get("timestamp") for name, st in sourcetypes.items()},
        "knowledge": knowledge.metadata(),
        "warnings": warnings,
    }

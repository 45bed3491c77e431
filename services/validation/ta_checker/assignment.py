"""Which of the TA's source types each sample belongs to.

In order: the caller's explicit choice; the only source type the TA defines; an
inputs.conf stanza whose monitored file name matches the sample's; otherwise the source
type that fits best on the sample's first events (most timestamps parsed, most fields).
"""

from __future__ import annotations

import fnmatch
import io
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .dynamic import SampleProcessor
from .extraction import DEFAULT_FIELDS, TagIndex
from .samples import LogSample
from .search_expr import EventtypeSearch
from .ta_config import TAConfig

PROBE_BYTES = 256 * 1024
PROBE_EVENTS = 200


@dataclass(frozen=True)
class Assignment:
    sourcetype: str | None
    method: str
    scores: Mapping[str, float]


def _probe(sample: LogSample) -> LogSample:
    with sample.open() as stream:
        head = stream.read(PROBE_BYTES)
    cut = head.rfind(b"\n")
    if 0 < cut < len(head) - 1:
        head = head[: cut + 1]
    return LogSample(sample.name, lambda: io.BytesIO(head))


def _score(
    config: TAConfig,
    sourcetype: str,
    probe: LogSample,
    eventtypes: list[tuple[str, EventtypeSearch]],
    tags: TagIndex,
    reference: datetime,
) -> float:
    processor = SampleProcessor(config, sourcetype, probe, eventtypes, tags, reference)
    events = parsed = fields = 0
    for event in processor.events(PROBE_EVENTS):
        events += 1
        parsed += event.time is not None
        fields += sum(1 for name in event.extracted.fields if name not in DEFAULT_FIELDS)
    if events == 0:
        return 0.0
    return round(2 * parsed / events + min(1.0, fields / events / 8), 4)


def _from_inputs(config: TAConfig, sample: LogSample) -> str | None:
    inputs = config.confs.get("inputs")
    if inputs is None:
        return None
    for stanza in inputs.stanzas.values():
        if not stanza.name.startswith("monitor://") or not stanza.get("sourcetype"):
            continue
        pattern = posixpath.basename(stanza.name[len("monitor://") :].rstrip("/"))
        if pattern and fnmatch.fnmatchcase(sample.name, pattern.replace("...", "*")):
            return stanza.get("sourcetype")
    return None


def assign_sourcetypes(
    config: TAConfig,
    samples: Sequence[LogSample],
    explicit: Mapping[str, str],
    eventtypes: list[tuple[str, EventtypeSearch]],
    tags: TagIndex,
    reference: datetime,
) -> dict[str, Assignment]:
    sourcetypes = config.sourcetypes()
    out: dict[str, Assignment] = {}
    for sample in samples:
        if sample.name in explicit:
            chosen = explicit[sample.name]
            out[sample.name] = Assignment(chosen, "given", {})
            continue
        if not sourcetypes:
            out[sample.name] = Assignment(None, "no source type in props.conf", {})
            continue
        if len(sourcetypes) == 1:
            out[sample.name] = Assignment(sourcetypes[0], "only source type", {})
            continue
        from_inputs = _from_inputs(config, sample)
        if from_inputs in sourcetypes:
            out[sample.name] = Assignment(from_inputs, "inputs.conf monitor", {})
            continue
        probe = _probe(sample)
        scores = {
            name: _score(config, name, probe, eventtypes, tags, reference) for name in sourcetypes
        }
        best = max(sorted(scores), key=lambda name: scores[name])
        out[sample.name] = Assignment(best, "best fit", scores)
    return out

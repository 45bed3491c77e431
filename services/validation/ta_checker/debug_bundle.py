"""The debug bundle: a zip with everything needed to see why a TA passed or failed."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

from .appinspect import AppInspectReport
from .archive import TAPackage
from .dynamic import SourcetypeRun

_FIXED_DATE = (2024, 1, 1, 0, 0, 0)
README = """TA check debug bundle
=====================

results.json                 the results document (errors, warnings, per source type figures)
appinspect/report.json       splunk-appinspect's own JSON report (when it ran)
appinspect/output.txt        its console output
ta/...                       every file of the checked TA package, as extracted
sourcetypes/<st>/settings.json            the props.conf settings that applied
sourcetypes/<st>/events.jsonl             the first events: _time and all extracted fields
sourcetypes/<st>/timestamp_failures.jsonl events whose timestamp could not be read
sourcetypes/<st>/cim_gaps.jsonl           events of a CIM data model missing required fields
sourcetypes/<st>/truncated_events.txt     starts of events cut by TRUNCATE
"""


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False) + "\n"


def _jsonl(rows: list[Any]) -> str:
    return "".join(
        json.dumps(row, sort_keys=True, default=str, ensure_ascii=False) + "\n" for row in rows
    )


def _safe_name(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)


def build_debug_bundle(
    results: Mapping[str, Any],
    package: TAPackage | None,
    appinspect: AppInspectReport | None,
    runs: Mapping[str, SourcetypeRun],
) -> bytes:
    entries: dict[str, str | bytes] = {"README.txt": README, "results.json": _json(results)}
    if appinspect is not None:
        if appinspect.raw_report is not None:
            entries["appinspect/report.json"] = _json(appinspect.raw_report)
        output = appinspect.stdout + (
            "\n--- stderr ---\n" + appinspect.stderr if appinspect.stderr else ""
        )
        if output.strip():
            entries["appinspect/output.txt"] = output
    if package is not None:
        for relative in package.files:
            data = package.read(relative)
            if data is not None:
                entries[f"ta/{package.app_name}/{relative}"] = data
    for name, run in runs.items():
        folder = f"sourcetypes/{_safe_name(name)}"
        entries[f"{folder}/settings.json"] = _json(run.settings)
        entries[f"{folder}/events.jsonl"] = _jsonl(run.first_events)
        entries[f"{folder}/timestamp_failures.jsonl"] = _jsonl(run.timestamp_failures)
        gaps = [
            {"data_model": model, **example}
            for model, stats in sorted(run.cim.models.items())
            for example in stats.missing_examples
        ]
        entries[f"{folder}/cim_gaps.jsonl"] = _jsonl(gaps)
        if run.truncated_examples:
            entries[f"{folder}/truncated_events.txt"] = "\n\n".join(run.truncated_examples)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(entries):
            info = zipfile.ZipInfo(path, date_time=_FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            content = entries[path]
            archive.writestr(info, content if isinstance(content, bytes) else content.encode())
    return buffer.getvalue()

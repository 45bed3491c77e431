"""Quality goals, per supported format: every generated TA passes the checker with the real
splunk-appinspect (0 failures), events are broken as the factory wrote them, timestamps
parse on >= 99 % of events (at the right instant), and the CIM required fields of the
model are extracted on >= 95 % of the model's events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ta_sample_factory import SAMPLES_DIR, START, SampleSpec, build_samples
from ta_test_helpers import BuiltAndChecked, build_one, check_one, unpack

FILENAMES = sorted(build_samples())
WELL_KNOWN = {
    "apache_access_combined.log": "access_combined",
    "apache_access_common.log": "access_common",
    "apache_error.log": "apache_error",
    "cisco_asa.log": "cisco:asa",
    "linux_secure.log": "linux_secure",
}


@pytest.fixture(params=FILENAMES)
def run(
    request: pytest.FixtureRequest, quality_runs: dict[str, BuiltAndChecked]
) -> BuiltAndChecked:
    return quality_runs[request.param]


def _only_sourcetype(run: BuiltAndChecked) -> tuple[str, dict[str, object]]:
    sourcetypes = run.check.results["sourcetypes"]
    assert len(sourcetypes) == 1, sourcetypes.keys()
    return next(iter(sourcetypes.items()))


def test_the_generator_detects_the_format(run: BuiltAndChecked) -> None:
    metadata = run.build.generation_metadata
    ((name, details),) = metadata["sourcetypes"].items()
    assert details["format"] == run.spec.format
    assert details["confidence"] >= 0.9
    if run.spec.filename in WELL_KNOWN:
        # Splunk's own name for well-known data, whatever the source system is called.
        assert name == WELL_KNOWN[run.spec.filename]
    else:
        assert name.count(":") == 2 and name.split(":")[0] == metadata["source_system"]["vendor"]
    assert details["event_breaking"]["multiline"] is run.spec.multiline


def test_appinspect_really_ran_with_no_failures(run: BuiltAndChecked) -> None:
    appinspect = run.check.results["appinspect"]
    assert appinspect["ran"] is True, appinspect["problem"]
    assert appinspect["version"]
    summary = appinspect["summary"]
    assert summary["failure"] == 0 and summary["error"] == 0, appinspect["failures"]
    assert summary["success"] > 50  # the precert checks really executed


def test_the_ta_passes_the_checker(run: BuiltAndChecked) -> None:
    results = run.check.results
    assert results["errors"] == []
    assert results["passed"] is True
    assert run.check.passed


def test_events_are_broken_as_written(run: BuiltAndChecked) -> None:
    _, stats = _only_sourcetype(run)
    assert stats["events"] == run.spec.events
    assert stats["truncated_events"] == 0
    assert (stats["multiline_events"] > 0) is run.spec.multiline


def test_timestamps_parse_on_99_percent_at_the_right_time(run: BuiltAndChecked) -> None:
    _, stats = _only_sourcetype(run)
    assert stats["events_with_timestamp"] / stats["events"] >= 0.99
    earliest = datetime.fromisoformat(stats["timestamp"]["earliest"]).astimezone(UTC)
    assert START <= earliest <= START + timedelta(minutes=5)


def test_cim_required_fields_cover_95_percent(run: BuiltAndChecked) -> None:
    _, stats = _only_sourcetype(run)
    model = run.build.generation_metadata["sourcetypes"]
    (details,) = model.values()
    if run.spec.data_model is None:
        assert details["data_model"] is None
        assert stats["cim"] == {}
        return
    assert details["data_model"]["name"] == run.spec.data_model
    cim = stats["cim"][run.spec.data_model]
    assert cim["events"] == run.spec.model_events
    for field, coverage in cim["required_fields"].items():
        assert coverage["coverage"] >= 0.95, (field, coverage)
    assert cim["invalid_values"] == {}


def test_fields_are_extracted(run: BuiltAndChecked) -> None:
    results = run.check.results
    _, stats = _only_sourcetype(run)
    if run.spec.format == "text" and run.spec.filename == "worker_unknown.log":
        # Free text of an unknown layout: no fields beyond the defaults are promised.
        return
    assert results["fields_extracted"] >= 1
    assert stats["fields"]


def test_no_cim_builds_have_no_data_model(sample_specs: dict[str, SampleSpec]) -> None:
    spec = sample_specs["cisco_asa.log"]
    built = build_one(spec, cim=False)
    files = unpack(built.package)
    assert not any(name.endswith(("eventtypes.conf", "tags.conf")) for name in files)
    props = files["TA-cisco-asa/default/props.conf"].decode()
    assert "FIELDALIAS-" not in props and "EVAL-" not in props
    assert "REPORT-asa_connections" in props  # the vendor fields are still extracted
    checked = check_one(built.package, [SAMPLES_DIR / spec.filename], appinspect=False)
    stats = checked.results["sourcetypes"]["cisco:asa"]
    assert stats["cim"] == {}
    assert stats["fields"]["dest_port"]["events"] > 0

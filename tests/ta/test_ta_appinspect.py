"""splunk-appinspect integration: reported clearly when missing or failing, never a crash;
its report is read into the results (the real run is covered by test_ta_quality)."""

from __future__ import annotations

import stat
from pathlib import Path

from ta_sample_factory import SAMPLES_DIR
from ta_test_helpers import BuiltAndChecked, check_one

from services.requests.ta_builder import BuildResult
from services.validation.ta_checker.appinspect import (
    AppInspectReport,
    find_appinspect,
    parse_report,
    start_appinspect,
)

SAMPLE = SAMPLES_DIR / "apache_access_combined.log"

#: A stand-in for splunk-appinspect that writes its report only once the test says "go"
#: (a file in its working directory appears), and gives up after 20 s.
WAITS_FOR_GO = """#!/bin/sh
while [ "$1" != "--output-file" ]; do shift; done
for _ in $(seq 400); do
  if [ -e "$PWD/go" ]; then
    echo '{"summary": {"success": 3}, "reports": []}' > "$2"
    exit 0
  fi
  sleep 0.05
done
exit 1
"""


def fake_appinspect(directory: Path, script: str) -> str:
    fake = directory / "splunk-appinspect"
    fake.write_text(script)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return str(fake)


def test_the_project_has_appinspect_installed() -> None:
    assert find_appinspect() is not None


def test_missing_executable_is_an_error_entry(access_ta: BuildResult, tmp_path: Path) -> None:
    result = check_one(
        access_ta.package, [SAMPLE], appinspect_executable=str(tmp_path / "no-such-appinspect")
    )
    results = result.results
    assert results["passed"] is False
    assert results["appinspect"]["ran"] is False
    assert "was not found" in results["appinspect"]["problem"]
    (entry,) = [e for e in results["errors"] if e["code"] == "appinspect.not_run"]
    assert "splunk-appinspect did not run" in entry["message"]
    # The rest of the check still ran.
    assert results["sourcetypes"]["access_combined"]["events"] == 600


def test_failing_executable_is_an_error_entry(access_ta: BuildResult, tmp_path: Path) -> None:
    fake = tmp_path / "splunk-appinspect"
    fake.write_text("#!/bin/sh\necho 'Traceback: boom' >&2\nexit 2\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    result = check_one(access_ta.package, [SAMPLE], appinspect_executable=str(fake))
    appinspect = result.results["appinspect"]
    assert appinspect["ran"] is False
    assert appinspect["exit_code"] == 2
    assert "without a report" in appinspect["problem"] and "boom" in appinspect["problem"]
    assert result.results["passed"] is False


def test_skipping_appinspect_is_a_warning(access_ta: BuildResult) -> None:
    result = check_one(access_ta.package, [SAMPLE], appinspect=False)
    assert result.results["passed"] is True
    assert [w["code"] for w in result.results["warnings"]] == ["appinspect.skipped"]


def test_failures_in_a_report_become_errors_with_file_and_line(
    quality_runs: dict[str, BuiltAndChecked],
) -> None:
    raw = {
        "summary": {"failure": 1, "error": 0, "warning": 1, "success": 10},
        "reports": [
            {
                "run_parameters": {"appinspect_version": "9.9.9"},
                "groups": [
                    {
                        "checks": [
                            {
                                "name": "check_x",
                                "result": "failure",
                                "description": "d",
                                "messages": [
                                    {
                                        "message": "bad thing",
                                        "message_filename": "default/props.conf",
                                        "message_line": 7,
                                    }
                                ],
                            },
                            {
                                "name": "check_y",
                                "result": "warning",
                                "description": "w",
                                "messages": [],
                            },
                            {
                                "name": "check_z",
                                "result": "success",
                                "description": "s",
                                "messages": [],
                            },
                        ]
                    }
                ],
            }
        ],
    }
    report = AppInspectReport(ran=True)
    parse_report(raw, report)
    assert report.version == "9.9.9"
    assert report.failure_count == 1
    assert report.failures[0]["messages"] == [
        {"message": "bad thing", "file": "default/props.conf", "line": 7}
    ]
    assert [w["check"] for w in report.warnings] == ["check_y"]
    # A real report, as produced in the quality runs, parses the same way.
    real = quality_runs["cisco_asa.log"].check.results["appinspect"]
    assert real["summary"]["success"] > 0 and real["command"][1:4] == [
        "inspect",
        real["command"][2],
        "--mode",
    ]
    assert "--skip-trusted-libraries-update" in real["command"]


def test_appinspect_runs_while_the_caller_works_and_is_collected_last(tmp_path: Path) -> None:
    package = tmp_path / "TA-test.tgz"
    package.write_bytes(b"not inspected")
    fake = fake_appinspect(tmp_path, WAITS_FOR_GO)
    running = start_appinspect(package, tmp_path, executable=fake, timeout=30)
    assert running.process is not None and running.process.poll() is None  # still working
    (tmp_path / "go").touch()  # the caller's own work happens here
    report = running.collect()
    assert report.ran is True and report.problem is None
    assert report.exit_code == 0 and report.summary == {"success": 3}


def test_an_abandoned_appinspect_is_killed(tmp_path: Path) -> None:
    package = tmp_path / "TA-test.tgz"
    package.write_bytes(b"not inspected")
    fake = fake_appinspect(tmp_path, WAITS_FOR_GO)
    running = start_appinspect(package, tmp_path, executable=fake, timeout=30)
    running.abandon()
    assert running.process is not None and running.process.returncode is not None


def test_an_appinspect_past_its_timeout_is_killed_and_reported(tmp_path: Path) -> None:
    package = tmp_path / "TA-test.tgz"
    package.write_bytes(b"not inspected")
    fake = fake_appinspect(tmp_path, WAITS_FOR_GO)
    running = start_appinspect(package, tmp_path, executable=fake, timeout=0.5)
    report = running.collect()
    assert report.ran is False and report.problem is not None
    assert "did not finish within" in report.problem
    assert running.process is not None and running.process.returncode is not None

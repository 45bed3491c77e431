"""``tagen ta build`` / ``tagen ta check``: output and exit codes."""

from __future__ import annotations

import argparse
import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest
from ta_sample_factory import SAMPLES_DIR
from ta_test_helpers import repack, unpack

from services.cli.ta import EXIT_FAILED, EXIT_OK, EXIT_UNUSABLE, main, register

ASA = str(SAMPLES_DIR / "cisco_asa.log")


def test_build_writes_the_package_and_prints_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ta" / "asa.tgz"
    code = main(["ta", "build", "--source-system", "Cisco ASA", "--out", str(out), ASA])
    assert code == EXIT_OK
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed
    assert "source type cisco:asa: format cisco_asa" in printed
    assert "TIME_FORMAT = %b %d %Y %H:%M:%S" in printed
    assert "[eventtype=cisco_asa_network_traffic]" in printed


def test_build_json_and_no_cim(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "asa.tgz"
    code = main(
        [
            "ta",
            "build",
            "--source-system",
            "Cisco ASA",
            "--no-cim",
            "--json",
            "--out",
            str(out),
            ASA,
        ]
    )
    assert code == EXIT_OK
    document = json.loads(capsys.readouterr().out)
    assert document["generation_metadata"]["cim_required"] is False
    per = document["config_summary"]["sourcetypes"]["cisco:asa"]
    assert per["eventtypes.conf"] == {} and per["tags.conf"] == {}


def test_build_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    out = tmp_path / "x.tgz"
    assert main(["ta", "build", "--source-system", "X", "--out", str(out), str(empty)]) == 2
    assert "is empty" in capsys.readouterr().err
    assert not out.exists()
    assert (
        main(
            [
                "ta",
                "build",
                "--source-system",
                "X",
                "--out",
                str(out),
                str(tmp_path / "missing.log"),
            ]
        )
        == EXIT_UNUSABLE
    )
    assert "not found" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["ta", "build", "--out", str(out), ASA])  # --source-system is required
    assert usage.value.code == 2


def test_check_passes_with_appinspect_and_writes_the_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = tmp_path / "asa.tgz"
    assert (
        main(["ta", "build", "--source-system", "Cisco ASA", "--out", str(package), ASA]) == EXIT_OK
    )
    capsys.readouterr()
    bundle = tmp_path / "debug" / "bundle.zip"
    code = main(["ta", "check", str(package), ASA, "--json", "--debug-bundle", str(bundle)])
    assert code == EXIT_OK
    results = json.loads(capsys.readouterr().out)
    assert results["passed"] is True and results["appinspect"]["ran"] is True
    names = zipfile.ZipFile(bundle).namelist()
    assert "results.json" in names and "appinspect/report.json" in names
    assert "ta/TA-cisco-asa/default/props.conf" in names
    assert "sourcetypes/cisco_asa/events.jsonl" in names


def test_check_failing_ta_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = tmp_path / "asa.tgz"
    main(["ta", "build", "--source-system", "Cisco ASA", "--out", str(package), ASA])
    files = unpack(package.read_bytes())
    props = "TA-cisco-asa/default/props.conf"
    files[props] = files[props].replace(b"TIME_FORMAT = %b %d %Y", b"TIME_FORMAT = %d %b %Y")
    broken = tmp_path / "broken.tgz"
    broken.write_bytes(repack(files))
    capsys.readouterr()
    code = main(["ta", "check", str(broken), ASA, "--skip-appinspect"])
    assert code == EXIT_FAILED
    printed = capsys.readouterr().out
    assert "FAILED" in printed
    assert (
        "default/props.conf [cisco:asa] TIME_FORMAT: source type cisco:asa: timestamps read "
        "from the event on 0" in printed
    )
    assert "      e.g. " in printed  # example events of the failure


def test_check_unusable_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ta", "check", str(tmp_path / "none.tgz"), ASA]) == EXIT_UNUSABLE
    assert "file not found" in capsys.readouterr().err
    not_gzip = tmp_path / "plain.tgz"
    not_gzip.write_text("hello")
    assert main(["ta", "check", str(not_gzip), ASA, "--skip-appinspect"]) == EXIT_FAILED
    assert "not a gzip" in capsys.readouterr().out
    assert main(["ta", "check", str(not_gzip), ASA, "--sourcetype", "oops"]) == EXIT_UNUSABLE


def test_register_plugs_into_another_parser(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser(prog="tagen")
    subparsers = parser.add_subparsers(dest="command")
    register(subparsers)
    args = parser.parse_args(["ta", "check", "x.tgz", "a.log", "--json", "--max-events", "5"])
    assert args.package == "x.tgz" and args.samples == ["a.log"] and args.max_events == 5
    assert callable(args.func)
    assert args.func(args) == EXIT_UNUSABLE  # x.tgz does not exist


def test_check_with_a_relative_package_path_runs_appinspect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The README's own example: `tagen ta check TA.tgz x.log` from the package's directory.
    monkeypatch.chdir(tmp_path)
    assert main(["ta", "build", "--source-system", "Cisco ASA", "--out", "TA.tgz", ASA]) == 0
    capsys.readouterr()
    code = main(["ta", "check", "TA.tgz", ASA, "--json"])
    results = json.loads(capsys.readouterr().out)
    assert results["appinspect"]["ran"] is True, results["appinspect"]["problem"]
    assert results["appinspect"]["summary"]["failure"] == 0
    assert code == EXIT_OK


def test_cim_required_fails_a_ta_without_cim(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = tmp_path / "asa.tgz"
    main(["ta", "build", "--source-system", "Cisco ASA", "--no-cim", "--out", str(package), ASA])
    capsys.readouterr()
    assert main(["ta", "check", str(package), ASA, "--skip-appinspect"]) == EXIT_OK
    capsys.readouterr()
    code = main(["ta", "check", str(package), ASA, "--skip-appinspect", "--cim-required"])
    printed = capsys.readouterr().out
    assert code == EXIT_FAILED
    assert "source type cisco:asa: CIM compliance is required but no event" in printed


@pytest.mark.parametrize(
    ("member", "mode", "code"),
    [
        ("bin/helper.sh", 0o4755, "package.setuid"),
        ("default/data/lookup.csv", 0o2644, "package.setuid"),
        ("README/run.sh", 0o755, "package.executable"),
    ],
)
def test_setuid_and_executable_files_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], member: str, mode: int, code: str
) -> None:
    package = tmp_path / "asa.tgz"
    main(["ta", "build", "--source-system", "Cisco ASA", "--out", str(package), ASA])
    files = unpack(package.read_bytes())

    def add(archive: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(f"TA-cisco-asa/{member}")
        info.size, info.mode = 3, mode
        archive.addfile(info, io.BytesIO(b"x=1"))

    broken = tmp_path / "broken.tgz"
    broken.write_bytes(repack(files, add))
    capsys.readouterr()
    assert main(["ta", "check", str(broken), ASA, "--skip-appinspect", "--json"]) == EXIT_FAILED
    errors = json.loads(capsys.readouterr().out)["errors"]
    assert [(e["code"], e["file"]) for e in errors] == [(code, member)]


def test_an_executable_under_bin_is_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = tmp_path / "asa.tgz"
    main(["ta", "build", "--source-system", "Cisco ASA", "--out", str(package), ASA])
    files = unpack(package.read_bytes())

    def add(archive: tarfile.TarFile) -> None:
        info = tarfile.TarInfo("TA-cisco-asa/bin/helper.py")
        info.size, info.mode = 3, 0o755
        archive.addfile(info, io.BytesIO(b"x=1"))

    ok = tmp_path / "ok.tgz"
    ok.write_bytes(repack(files, add))
    capsys.readouterr()
    assert main(["ta", "check", str(ok), ASA, "--skip-appinspect"]) == EXIT_OK

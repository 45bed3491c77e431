"""Fixtures for the TA engine tests: samples, built TAs, and one appinspect run per TA."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

# The helper modules live beside this file; make them importable whatever the import mode.
sys.path.insert(0, str(Path(__file__).parent))

from ta_sample_factory import SAMPLES_DIR, SampleSpec, build_samples
from ta_test_helpers import BuiltAndChecked, build_one, check_one

from services.requests.ta_builder import BuildResult


@pytest.fixture(scope="session")
def sample_specs() -> dict[str, SampleSpec]:
    return build_samples()


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES_DIR


@pytest.fixture(scope="session")
def quality_runs(sample_specs: dict[str, SampleSpec]) -> dict[str, BuiltAndChecked]:
    """Every realistic sample built into a TA and checked, with the real appinspect."""

    def run(spec: SampleSpec) -> BuiltAndChecked:
        built = build_one(spec)
        return BuiltAndChecked(spec, built, check_one(built.package, [SAMPLES_DIR / spec.filename]))

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(run, sample_specs.values()))
    return {item.spec.filename: item for item in results}


@pytest.fixture(scope="session")
def access_ta(sample_specs: dict[str, SampleSpec]) -> BuildResult:
    return build_one(sample_specs["apache_access_combined.log"])


@pytest.fixture(scope="session")
def asa_ta(sample_specs: dict[str, SampleSpec]) -> BuildResult:
    return build_one(sample_specs["cisco_asa.log"])


@pytest.fixture
def tmp_samples(tmp_path: Path) -> Iterator[Callable[[str, bytes], Path]]:
    def write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    yield write

"""The committed samples are exactly what the sample factory writes, and are documented."""

from __future__ import annotations

from ta_sample_factory import SAMPLES_DIR, SampleSpec


def test_committed_samples_match_the_factory(sample_specs: dict[str, SampleSpec]) -> None:
    # real/ holds real logs (see README.md), not factory output.
    committed = {p.name for p in SAMPLES_DIR.iterdir() if p.is_file() and p.name != "README.md"}
    assert committed == set(sample_specs)
    for name, spec in sample_specs.items():
        assert (SAMPLES_DIR / name).read_bytes() == spec.content, name


def test_every_sample_is_documented(sample_specs: dict[str, SampleSpec]) -> None:
    readme = (SAMPLES_DIR / "README.md").read_text()
    for name in sample_specs:
        assert f"`{name}`" in readme

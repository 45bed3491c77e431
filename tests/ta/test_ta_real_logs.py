"""The TA engine on real public logs (``samples/real``, see its README): every corpus builds,
and the checker's verdict agrees with the independent truth of each corpus (timestamps
written by hand by the logs' maintainers, the CIM data model a Splunk engineer would pick).
AppInspect is left to the bench (``bench/bench_ta_quality.py``); it is slow."""

from __future__ import annotations

import pytest
from real_corpora import Corpus, Quality, corpora, measure

CORPORA = {corpus.name: corpus for corpus in corpora()}
# Corpora on which the generated TA meets every goal (>= 99% timestamps right, >= 95%
# CIM-required fields where a model applies); the others fail for reasons the checker names.
MEETING_THE_GOAL = {
    "apache_error",
    "exim",
    "haproxy",
    "kerio",
    "mongodb",
    "mysqld",
    "nginx_access",
    "nginx_error",
    "postfix",
    "selinux_audit",
    "squid_access",
    "sshd",
    "traefik_access",
}


@pytest.fixture(scope="module")
def qualities() -> dict[str, Quality]:
    return {name: measure(corpus, run_appinspect=False) for name, corpus in CORPORA.items()}


def test_at_least_twelve_real_corpora_with_a_truth() -> None:
    assert len(CORPORA) >= 12
    assert all(len(corpus.expected) >= 3 for corpus in CORPORA.values())
    assert set(CORPORA) >= MEETING_THE_GOAL


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_the_checker_agrees_with_the_truth(name: str, qualities: dict[str, Quality]) -> None:
    quality = qualities[name]
    assert quality.builds, quality.problem
    assert quality.checker_passed is quality.meets_goal, quality.checker_errors
    assert quality.meets_goal is (name in MEETING_THE_GOAL), quality


def test_a_failure_names_source_type_field_share_and_examples(
    qualities: dict[str, Quality],
) -> None:
    corpus: Corpus = CORPORA["pam_generic"]
    quality = qualities[corpus.name]
    [message] = [m for m in quality.checker_errors if m.startswith("cim.required_field")]
    assert "source type linux_secure, CIM Authentication: required field user" in message
    assert "8 of 9 events (88.9%)" in message
    [example] = quality.error_examples["cim.required_field"]
    # the one real line naming no user at all
    assert example.startswith("May 12 09:48:03 vaio sshd[16021]: (pam_unix) authentication")

"""Reading and writing Splunk .conf files (services.kernel.splunk_conf)."""

from __future__ import annotations

import pytest

from services.kernel.splunk_conf import (
    ConfDecodeError,
    ConfIssueKind,
    ConfRenderError,
    ConfStrictError,
    parse_conf_bytes,
    parse_conf_text,
    render_conf,
)

TEXT = """\
# a comment
global_key = at the top

[web:access]
SHOULD_LINEMERGE = false
  # indented comment
LINE_BREAKER = ([\\r\\n]+)
EVAL-x = if(a=="b", \\
  "yes", \\
  "no")

[empty]
"""


def test_parses_stanzas_keys_comments_and_continuations() -> None:
    conf = parse_conf_text(TEXT, "default/props.conf")
    assert conf.names() == ["default", "web:access", "empty"]
    assert conf.stanza("default").get("global_key") == "at the top"  # type: ignore[union-attr]
    stanza = conf.stanza("web:access")
    assert stanza is not None
    assert stanza.get("LINE_BREAKER") == "([\\r\\n]+)"
    assert stanza.get("EVAL-x") == 'if(a=="b", \n  "yes", \n  "no")'
    assert stanza.line == 4
    assert stanza.line_of("EVAL-x") == 8
    assert conf.issues == []
    assert conf.stanza("empty").settings == {}  # type: ignore[union-attr]


def test_reports_duplicate_stanzas_and_keys_with_lines() -> None:
    text = "[a]\nx = 1\ny = 2\n\n[b]\nz = 3\n\n[a]\nx = 9\n"
    conf = parse_conf_text(text, "default/props.conf")
    kinds = [(i.kind, i.stanza, i.key, i.line, i.first_line) for i in conf.issues]
    assert (ConfIssueKind.DUPLICATE_STANZA, "a", None, 8, 1) in kinds
    assert (ConfIssueKind.DUPLICATE_KEY, "a", "x", 9, 2) in kinds
    # Splunk's merged view: the later value wins, the stanza keeps both keys.
    assert conf.stanza("a").as_dict() == {"x": "9", "y": "2"}  # type: ignore[union-attr]
    message = conf.issues[0].location()
    assert message.startswith("default/props.conf:8 [a]")


def test_reports_invalid_lines_empty_keys_and_dangling_continuations() -> None:
    conf = parse_conf_text("[a]\nnot a setting\n = value\nkey = open \\", "x.conf")
    kinds = {issue.kind for issue in conf.issues}
    assert kinds == {
        ConfIssueKind.INVALID_LINE,
        ConfIssueKind.EMPTY_KEY,
        ConfIssueKind.DANGLING_CONTINUATION,
    }


def test_strict_mode_raises_with_the_location() -> None:
    with pytest.raises(ConfStrictError, match=r"props\.conf:3 \[a\]"):
        parse_conf_text("[a]\nk = 1\n[a]\n", "props.conf", strict=True)


def test_bytes_with_bom_and_invalid_utf8() -> None:
    conf = parse_conf_bytes("\ufeff[a]\nk = é\n".encode(), "a.conf")
    assert conf.stanza("a").get("k") == "é"  # type: ignore[union-attr]
    with pytest.raises(ConfDecodeError, match=r"a\.conf"):
        parse_conf_bytes(b"[a]\nk = \xff\n", "a.conf")


def test_render_round_trips_including_multiline_values() -> None:
    stanzas = [
        ("st:one", [("TIME_PREFIX", "^\\["), ("EVAL-a", 'case(x=1,\n"y")'), ("EMPTY", "")]),
        ("", [("access", "read : [ * ]")]),
    ]
    text = render_conf(stanzas, header=("generated",))
    assert text.startswith("# generated\n")
    assert "EMPTY =\n" in text
    conf = parse_conf_text(text, "x.conf")
    assert conf.issues == []
    assert conf.as_dict() == {
        "st:one": {"TIME_PREFIX": "^\\[", "EVAL-a": 'case(x=1,\n"y")', "EMPTY": ""},
        "": {"access": "read : [ * ]"},
    }


@pytest.mark.parametrize(
    ("stanzas", "message"),
    [
        ([("a", [("k", "ends with \\")])], "backslash"),
        ([("a", [("k", " padded")])], "whitespace"),
        ([("a", [("k", "1"), ("k", "2")])], "twice"),
        ([("a", []), ("a", [])], "twice"),
        ([("a", [("bad=key", "1")])], "invalid key"),
    ],
)
def test_render_refuses_values_that_would_change_meaning(
    stanzas: list[tuple[str, list[tuple[str, str]]]], message: str
) -> None:
    with pytest.raises(ConfRenderError, match=message):
        render_conf(stanzas)

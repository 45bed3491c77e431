"""The checker's emulation of Splunk: strptime, eval, event type searches, event breaking,
timestamps and the search-time order of extractions."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.validation.ta_checker.errors import (
    EvalSyntaxError,
    EvalUnsupportedError,
    RegexError,
    SearchSyntaxError,
    TimeFormatError,
)
from services.validation.ta_checker.eval_expr import compile_eval
from services.validation.ta_checker.event_breaking import CHUNK_SIZE, iter_events
from services.validation.ta_checker.extraction import SearchTimeExtractor, TagIndex
from services.validation.ta_checker.pipeline import (
    BreakingConfig,
    SearchTimeConfig,
    TimeConfig,
    TransformRule,
    compile_line_breaker,
)
from services.validation.ta_checker.regex_compat import (
    UnsupportedRegexError,
    compile_splunk_regex,
)
from services.validation.ta_checker.search_expr import compile_search
from services.validation.ta_checker.strptime import compile_time_format
from services.validation.ta_checker.timestamping import TimeOutcome, Timestamper

REFERENCE = datetime(2024, 6, 1, tzinfo=UTC)

# ----- strptime ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "text", "expected"),
    [
        (
            "%Y-%m-%dT%H:%M:%S.%3N%:z",
            "2024-03-04T09:00:01.250+01:00 x",
            datetime(2024, 3, 4, 8, 0, 1, 250000, tzinfo=UTC),
        ),
        (
            "%d/%b/%Y:%H:%M:%S %z",
            "04/Mar/2024:09:00:00 +0100]",
            datetime(2024, 3, 4, 8, 0, 0, tzinfo=UTC),
        ),
        ("%b %d %H:%M:%S", "Mar  4 08:00:01 host", datetime(2024, 3, 4, 8, 0, 1, tzinfo=UTC)),
        (
            "%a %b %d %H:%M:%S.%6N %Y",
            "Mon Mar 04 08:00:07.519956 2024",
            datetime(2024, 3, 4, 8, 0, 7, 519956, tzinfo=UTC),
        ),
        ("%m/%d/%Y %I:%M:%S %p", "3/4/2024 8:05:09 PM", datetime(2024, 3, 4, 20, 5, 9, tzinfo=UTC)),
        ("%s.%3N", "1709539200.500", datetime(2024, 3, 4, 8, 0, 0, 500000, tzinfo=UTC)),
        (
            "%Y-%m-%d %H:%M:%S %Z",
            "2024-03-04 03:00:00 EST",
            datetime(2024, 3, 4, 8, 0, 0, tzinfo=UTC),
        ),
        ("%F %T", "2024-03-04 08:00:00", datetime(2024, 3, 4, 8, 0, 0, tzinfo=UTC)),
        (
            "%Y-%m-%dT%H:%M:%S.%6NZ",
            "2024-03-04T08:00:00.123456Z",
            datetime(2024, 3, 4, 8, 0, 0, 123456, tzinfo=UTC),
        ),
    ],
)
def test_strptime_parses(fmt: str, text: str, expected: datetime) -> None:
    parsed = compile_time_format(fmt).parse(text, UTC, REFERENCE)
    assert parsed == expected


def test_strptime_rejects_and_infers() -> None:
    fmt = compile_time_format("%Y-%m-%d %H:%M:%S")
    assert fmt.parse("x 2024-03-04 08:00:00", UTC, REFERENCE) is None  # must match at the start
    assert fmt.parse("2024-02-30 08:00:00", UTC, REFERENCE) is None  # not a date
    # A year-less timestamp after the reference date belongs to the previous year.
    december = compile_time_format("%b %d %H:%M:%S").parse("Dec 24 10:00:00", UTC, REFERENCE)
    assert december == datetime(2023, 12, 24, 10, tzinfo=UTC)
    berlin = timezone(timedelta(hours=1))
    local = fmt.parse("2024-03-04 09:00:00", berlin, REFERENCE)
    assert local == datetime(2024, 3, 4, 8, tzinfo=UTC)


@pytest.mark.parametrize("fmt", ["%Y-%m-%d %K", "%Y-%", "", "%4Y"])
def test_strptime_invalid_formats(fmt: str) -> None:
    with pytest.raises(TimeFormatError):
        compile_time_format(fmt)


# ----- eval ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "fields", "expected"),
    [
        ('if(status>=400, "failure", "success")', {"status": ["404"]}, ["failure"]),
        ('if(status>=400, "failure", "success")', {"status": ["200"]}, ["success"]),
        ('case(a=="x", 1, a=="y", 2)', {"a": ["y"]}, ["2"]),
        ('case(a=="x", 1)', {"a": ["z"]}, None),
        ('coalesce(a, b, "d")', {"b": ["B"]}, ["B"]),
        ('a . "-" . b', {"a": ["1"], "b": ["2"]}, ["1-2"]),
        ("a + b", {"a": ["1"], "b": ["2"]}, ["3"]),
        ("a + b", {"a": ["x"], "b": ["y"]}, ["xy"]),
        ("a * 2 + 1", {"a": ["4"]}, ["9"]),
        ('lower(upper("MiXeD"))', {}, ["mixed"]),
        ('mvindex(split(url, "?"), 0)', {"url": ["/a/b?c=d"]}, ["/a/b"]),
        ('replace(url, "^https?://[^/]+", "")', {"url": ["https://h.example/x"]}, ["/x"]),
        ('match(msg, "^Acc")', {"msg": ["Accepted"]}, ["true"]),
        ('if(isnull(x), "none", x)', {}, ["none"]),
        ("null()", {"x": ["1"]}, None),
        ("a == b", {"a": ["10"], "b": ["10.0"]}, ["true"]),
        ('a < "b"', {"a": ["a"]}, ["true"]),
        ("'odd.name' . \"!\"", {"odd.name": ["v"]}, ["v!"]),
        ('substr("abcdef", 2, 3)', {}, ["bcd"]),
        ('x LIKE "ab%"', {"x": ["abc"]}, ["true"]),
        ('in(x, "a", "b")', {"x": ["b"]}, ["true"]),
        ('NOT x=="a" AND y=="b"', {"x": ["c"], "y": ["b"]}, ["true"]),
        ('cidrmatch("10.0.0.0/8", ip)', {"ip": ["10.1.2.3"]}, ["true"]),
        ("-a", {"a": ["2"]}, ["-2"]),
        ("a / 0", {"a": ["2"]}, None),
        ('if(missing=="x", "yes", "no")', {}, ["no"]),
    ],
)
def test_eval_evaluates(
    expression: str, fields: dict[str, list[str]], expected: list[str] | None
) -> None:
    assert compile_eval(expression).evaluate(fields) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("if(a, b", "expected ')'"),
        ("nosuch(a)", "unknown function nosuch()"),
        ("if(a, b)", "if() takes 3 arguments"),
        ('case(a, "x", b)', "pairs"),
        ("", "empty"),
        ("a +", "unexpected"),
        ("a ? b", "unexpected character"),
        ('match(a, "(open")', "match(): regex '(open' does not compile"),
    ],
)
def test_eval_syntax_errors(expression: str, message: str) -> None:
    with pytest.raises(EvalSyntaxError, match=re.escape(message)):
        compile_eval(expression)


def test_eval_known_but_unsupported_functions() -> None:
    expression = compile_eval('strftime(_time, "%Y")')
    assert expression.unsupported == ("strftime",)
    with pytest.raises(EvalUnsupportedError):
        expression.evaluate({"_time": ["1"]})


# ----- event type searches -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("search", "fields", "matches"),
    [
        ('sourcetype="a:b"', {"sourcetype": ["a:b"]}, True),
        ("sourcetype=a:*", {"sourcetype": ["A:B"]}, True),
        ("status=4*", {"status": ["404"]}, True),
        ("status=4*", {"status": ["200"]}, False),
        ("status>=400", {"status": ["500"]}, True),
        ("action=*", {}, False),
        ("NOT action=*", {}, True),
        ("x=1 y=2 OR y=3", {"x": ["1"], "y": ["3"]}, True),
        ("x=1 y=2 OR y=3", {"x": ["2"], "y": ["3"]}, False),
        ("(x=1 OR x=2) NOT y=3", {"x": ["2"], "y": ["4"]}, True),
        ("message_id IN (302013, 302014)", {"message_id": ["302014"]}, True),
        ('"Accepted password"', {"_raw": ["sshd: accepted PASSWORD for x"]}, True),
        ("failed", {"_raw": ["all good"]}, False),
        ("x!=1", {"x": ["2"]}, True),
        ("x!=1", {}, False),
    ],
)
def test_eventtype_searches(search: str, fields: dict[str, list[str]], matches: bool) -> None:
    assert compile_search(search).matches(fields) is matches


@pytest.mark.parametrize("search", ["sourcetype=x | stats count", "(a=1", "", "a=1 OR", "x<abc"])
def test_eventtype_search_errors(search: str) -> None:
    with pytest.raises(SearchSyntaxError):
        compile_search(search)


# ----- regexes -------------------------------------------------------------------------------


def test_pcre_named_groups_and_unsupported_features() -> None:
    pattern = compile_splunk_regex(r"(?<user>\w+)@(?'host'[\w.]+)\h(?<=\s)x(?i)Y")
    match = pattern.search("bob@example.org xy")
    assert match is not None and match.group("user") == "bob" and match.group("host")
    # \K, branch reset and mid-pattern flags run as PCRE runs them (the regex module, V1)
    kept = compile_splunk_regex(r"user=\K\w+").search("login user=alice ok")
    assert kept is not None and kept.group(0) == "alice"
    reset = compile_splunk_regex(r"(?|src=(\S+)|from (\S+))")
    assert [m.group(1) for m in reset.finditer("src=a from b")] == ["a", "b"]
    with pytest.raises(UnsupportedRegexError):
        compile_splunk_regex(r"\((?:[^()]|(?R))*\)")
    with pytest.raises(RegexError):
        compile_splunk_regex(r"(unclosed")


# ----- event breaking and timestamps ---------------------------------------------------------


def _breaking(**overrides: object) -> BreakingConfig:
    values: dict[str, object] = {
        "line_breaker": compile_line_breaker(r"([\r\n]+)"),
        "should_linemerge": False,
        "truncate": 10000,
        "break_only_before": None,
        "break_only_before_date": True,
        "must_break_after": None,
        "must_not_break_after": None,
        "must_not_break_before": None,
        "max_events": 256,
        "charset": "utf-8",
    }
    values.update(overrides)
    return BreakingConfig(**values)  # type: ignore[arg-type]


def _texts(data: bytes, config: BreakingConfig, has_date: object = None) -> list[str]:
    detector = has_date or (lambda line: line.startswith("2024"))
    return [e.text for e in iter_events(io.BytesIO(data), config, detector)]  # type: ignore[arg-type]


def test_line_breaker_with_lookahead_keeps_multiline_events() -> None:
    data = b"2024 a\n  at x\n  at y\n\r\n2024 b\n2024 c\n  more"
    config = _breaking(line_breaker=compile_line_breaker(r"([\r\n]+)(?=\d{4} )"))
    assert _texts(data, config) == ["2024 a\n  at x\n  at y", "2024 b", "2024 c\n  more"]


def test_single_line_breaking_drops_blank_lines_and_handles_crlf() -> None:
    assert _texts(b"a\r\n\r\nb\n\n\nc\r\n", _breaking()) == ["a", "b", "c"]


def test_should_linemerge_breaks_before_dates_and_after_markers() -> None:
    data = b"2024 a\nx\n2024 b\nEND\ny\n2024 c"
    merged = _texts(data, _breaking(should_linemerge=True))
    assert merged == ["2024 a\nx", "2024 b\nEND\ny", "2024 c"]
    after = _texts(data, _breaking(should_linemerge=True, must_break_after=re.compile("^END")))
    assert after == ["2024 a\nx", "2024 b\nEND", "y", "2024 c"]
    capped = _texts(b"2024 a\n1\n2\n3\n4", _breaking(should_linemerge=True, max_events=2))
    assert capped == ["2024 a\n1", "2\n3", "4"]


def test_events_across_chunk_boundaries_are_whole() -> None:
    line = b"2024-01-01 00:00:00 " + b"x" * 100
    count = CHUNK_SIZE // len(line) * 3
    data = b"\r\n".join(line for _ in range(count))
    events = _texts(data, _breaking())
    assert len(events) == count
    assert {len(e) for e in events} == {len(line)}


def test_truncate_cuts_long_events() -> None:
    events = list(
        iter_events(io.BytesIO(b"short\n" + b"y" * 500), _breaking(truncate=100), lambda _: False)
    )
    assert [e.truncated for e in events] == [False, True]
    assert len(events[1].text) == 100


def test_timestamper_outcomes() -> None:
    config = TimeConfig(
        mode="format",
        prefix=re.compile(r"\["),
        format=compile_time_format("%d/%b/%Y:%H:%M:%S %z"),
        lookahead=28,
        tz=UTC,
        tz_assumed=True,
    )
    stamper = Timestamper(config, REFERENCE)
    parsed = stamper.extract('1.2.3.4 - - [04/Mar/2024:09:00:00 +0100] "GET /"')
    assert parsed.outcome is TimeOutcome.PARSED
    assert parsed.time == datetime(2024, 3, 4, 8, tzinfo=UTC)
    assert stamper.extract("no bracket").outcome is TimeOutcome.PREFIX_NOT_FOUND
    assert stamper.extract("[yesterday]").outcome is TimeOutcome.FORMAT_MISMATCH
    short = Timestamper(TimeConfig(**{**config.__dict__, "lookahead": 10}), REFERENCE)
    assert short.extract("[04/Mar/2024:09:00:00 +0100]").outcome is TimeOutcome.FORMAT_MISMATCH


# ----- search-time order ---------------------------------------------------------------------


def _rule(name: str, regex: str | None = None, **overrides: object) -> TransformRule:
    values: dict[str, object] = {
        "name": name,
        "regex": re.compile(regex) if regex else None,
        "format": None,
        "source_key": "_raw",
        "delims": None,
        "fields": None,
        "mv_add": False,
        "clean_keys": True,
        "keep_empty": False,
        "dest_key": None,
        "format_value": None,
    }
    values.update(overrides)
    return TransformRule(**values)  # type: ignore[arg-type]


def test_extraction_order_and_precedence() -> None:
    config = SearchTimeConfig(
        kv_mode="auto",
        extracts=[("EXTRACT-a", re.compile(r"user=(?P<user>\w+)"), None)],
        reports=[("REPORT-b", [_rule("t", r"(?P<user>\w+)@(?P<domain>\S+)")])],
        aliases=[("FIELDALIAS-c", [("domain", "dest", True), ("user", "src_user", True)])],
        evals=[
            ("user", compile_eval("upper(user)")),
            ("copy", compile_eval("user")),
            ("domain", compile_eval("null()")),
        ],
    )
    extractor = SearchTimeExtractor(
        config,
        [("mine", compile_search("src_user=bob"))],
        TagIndex({"mine": frozenset({"web"})}, {}),
    )
    event = extractor.apply({"_raw": ["user=bob bob@example.org level=info user=eve"]})
    fields = event.fields
    assert fields["user"] == ["BOB"]  # EXTRACT won over REPORT and KV; EVAL changed it
    assert fields["copy"] == ["bob"]  # EVALs see the fields as they were before EVAL
    assert "domain" not in fields  # an EVAL giving null removes the field
    assert fields["dest"] == ["example.org"]  # FIELDALIAS ran before EVAL
    assert fields["level"] == ["info"]  # automatic key/value extraction
    assert event.eventtypes == ["mine"] and event.tags == {"web"}


def test_delims_fields_and_dynamic_format() -> None:
    config = SearchTimeConfig(
        kv_mode="none",
        reports=[
            ("REPORT-csv", [_rule("csv", delims=(",",), fields=("a", "b", "c"))]),
            ("REPORT-kv", [_rule("kv", r"(\w+):(\d+)", format=(("$1", "$2"),), mv_add=True)]),
        ],
    )
    extractor = SearchTimeExtractor(config, [], TagIndex({}, {}))
    fields = extractor.apply({"_raw": ['x,"y, with comma",z x:1 y:2']}).fields
    assert fields["a"] == ["x"] and fields["b"] == ["y, with comma"]
    assert fields["x"] == ["1"] and fields["y"] == ["2"]
    json_fields = (
        SearchTimeExtractor(SearchTimeConfig(kv_mode="json"), [], TagIndex({}, {}))
        .apply({"_raw": ['{"a": {"b": [1, 2]}, "c": null, "d": true}']})
        .fields
    )
    assert json_fields["a.b{}"] == ["1", "2"] and json_fields["d"] == ["true"]
    assert "c" not in json_fields
    xml_fields = (
        SearchTimeExtractor(SearchTimeConfig(kv_mode="xml"), [], TagIndex({}, {}))
        .apply({"_raw": ['<E><S id="7"><T>x</T></S></E>']})
        .fields
    )
    assert xml_fields["E.S{@id}"] == ["7"] and xml_fields["E.S.T"] == ["x"]

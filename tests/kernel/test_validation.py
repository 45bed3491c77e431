import pytest

from services.kernel import paging
from services.kernel.errors import InvalidArgument
from services.kernel.paging import configure_page_key, sign_page_token
from services.kernel.validation import (
    encode_page_token,
    parse_page,
    parse_uuid,
    require_email,
    require_text,
)


def test_page_tokens_round_trip() -> None:
    page = parse_page(10, "")
    assert (page.offset, page.size) == (0, 10)
    nxt = parse_page(10, page.next_token(10))
    assert nxt.offset == 10
    assert page.next_token(3) == ""
    assert parse_page(0, encode_page_token(40)).offset == 40


def _tampered() -> str:
    payload, _, signature = encode_page_token(40).partition(".")
    return ("c" if payload[0] != "c" else "d") + payload[1:] + "." + signature


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: "###", id="not-base64"),
        pytest.param(lambda: "bzo0MA", id="unsigned"),
        pytest.param(lambda: "eDoxMA.AAAA", id="bad-signature"),
        pytest.param(lambda: encode_page_token(-5), id="negative-offset"),
        pytest.param(_tampered, id="tampered"),
        pytest.param(lambda: sign_page_token("k:1:2"), id="another-kind"),
    ],
)
def test_bad_page_tokens(make) -> None:
    with pytest.raises(InvalidArgument) as err:
        parse_page(10, make())
    assert err.value.field == "page_token"


def test_tokens_of_another_key_are_refused(monkeypatch) -> None:
    token = encode_page_token(40)
    monkeypatch.setattr(paging, "_key", paging._key)  # restored after the test
    configure_page_key("another deployment's secret")
    with pytest.raises(InvalidArgument):
        parse_page(10, token)


def test_text_uuid_email_checks() -> None:
    assert require_text("f", "  ok ", max_length=5) == "ok"
    for bad in ("", "   ", "toolong", "a\x00b"):
        with pytest.raises(InvalidArgument):
            require_text("f", bad, max_length=5)
    with pytest.raises(InvalidArgument):
        parse_uuid("id", "nope")
    assert require_email("e", "A@B.example") == "a@b.example"
    for bad in ("a@b", "@b.co", "a b@c.co", "a@-b.co"):
        with pytest.raises(InvalidArgument):
            require_email("e", bad)

import pytest

from services.kernel.errors import InvalidArgument
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


@pytest.mark.parametrize("token", ["###", "bzo=", "eDoxMA", encode_page_token(-5)])
def test_bad_page_tokens(token: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        parse_page(10, token)
    assert err.value.field == "page_token"


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

"""The shared CIM data model definitions (services.kernel.splunk_cim)."""

from __future__ import annotations

import pytest

from services.kernel.splunk_cim import (
    AUTHENTICATION,
    NETWORK_TRAFFIC,
    WEB,
    incomplete_models,
    model_by_name,
    models_for_tags,
)


@pytest.mark.parametrize(
    ("model", "field", "value", "valid"),
    [
        (WEB, "http_method", "GET", True),
        (WEB, "http_method", "get", False),
        (WEB, "http_method", "-", False),
        (WEB, "status", "404", True),
        (WEB, "status", "99", False),
        (WEB, "status", "abc", False),
        (WEB, "src", "2001:db8::1", True),
        (WEB, "src", "host-01.example.com", True),
        (WEB, "src", "not an address", False),
        (WEB, "url", "/a b", False),
        (NETWORK_TRAFFIC, "dest_port", "65535", True),
        (NETWORK_TRAFFIC, "dest_port", "65536", False),
        (NETWORK_TRAFFIC, "action", "teardown", True),
        (NETWORK_TRAFFIC, "action", "accept", False),
        (AUTHENTICATION, "action", "success", True),
        (AUTHENTICATION, "action", "", False),
    ],
)
def test_field_rules(model: object, field: str, value: str, valid: bool) -> None:
    cim_field = model.field(field)  # type: ignore[attr-defined]
    assert cim_field is not None
    assert cim_field.is_valid(value) is valid


def test_normalise_maps_vendor_values() -> None:
    action = NETWORK_TRAFFIC.field("action")
    transport = NETWORK_TRAFFIC.field("transport")
    assert action is not None and transport is not None
    assert action.normalise("ACCEPT") == "allowed"
    assert action.normalise("drop") == "blocked"
    assert action.normalise("weird") is None
    assert transport.normalise("6") == "tcp"


def test_models_are_chosen_by_their_complete_tag_sets() -> None:
    assert [m.name for m in models_for_tags({"network", "communicate", "x"})] == ["Network_Traffic"]
    assert models_for_tags({"network"}) == []
    assert [(m.name, missing) for m, missing in incomplete_models({"network"})] == [
        ("Network_Traffic", ("communicate",)),
        ("Network_Resolution", ("resolution", "dns")),
    ]
    assert model_by_name("Web").tags == ("web",)
    with pytest.raises(KeyError):
        model_by_name("Nope")


def test_required_fields_are_declared() -> None:
    assert {f.name for f in WEB.required} == {
        "src",
        "http_method",
        "status",
        "url",
        "uri_path",
        "bytes",
    }
    assert {f.name for f in NETWORK_TRAFFIC.required} == {
        "action",
        "src",
        "dest",
        "dest_port",
        "transport",
    }
    assert {f.name for f in AUTHENTICATION.required} == {"action", "user", "src", "dest", "app"}

"""Identifier normalisation: every spelling of one identifier meets in one canonical value."""

from __future__ import annotations

import pytest

from core.errors import InvalidIdentifier
from graph_store.identifiers import IdentifierType, normalize


@pytest.mark.parametrize(
    "raw", ["+86 138 0013 8000", "138-0013-8000", "13800138000", "(+86) 13800138000", "0086 138 0013 8000"]
)
def test_phone_formats_normalise_to_e164(raw: str) -> None:
    assert normalize(IdentifierType.PHONE, raw).value == "+8613800138000"


@pytest.mark.parametrize(
    "raw", ["14912345678", "16012345678", "17412345678", "179 1000 1010", "19412345678", "+86 194 1234 5678"]
)
def test_mobile_numbers_of_the_current_numbering_plan_are_valid(raw: str) -> None:
    """Network codes libphonenumber's metadata refuses (or reads as the 17910 IP-call prefix) are phones."""
    digits = "".join(c for c in raw if c.isdigit())[-11:]
    assert normalize(IdentifierType.PHONE, raw).value == f"+86{digits}"


@pytest.mark.parametrize("raw", ["14012345678", "12345678901", "00000000000", "1391234567", "-1"])
def test_numbers_outside_the_plan_are_invalid(raw: str) -> None:
    with pytest.raises(InvalidIdentifier):
        normalize(IdentifierType.PHONE, raw)


def test_phone_region_is_configurable() -> None:
    assert normalize(IdentifierType.PHONE, "(415) 555-2671", region="US").value == "+14155552671"
    # With an explicit country code the default region does not matter.
    assert normalize(IdentifierType.PHONE, "+1 415 555 2671", region="CN").value == "+14155552671"


def test_email_is_trimmed_and_lower_cased() -> None:
    assert normalize(IdentifierType.EMAIL, "  Li.Lei@Example.COM ").value == "li.lei@example.com"


def test_openid_needs_and_is_scoped_by_app() -> None:
    assert normalize(IdentifierType.WECHAT_OPENID, "oX1", app_id="wxA").key == "wechat_openid:wxA/oX1"
    with pytest.raises(InvalidIdentifier, match="appId"):
        normalize(IdentifierType.WECHAT_OPENID, "oX1")


def test_device_ids_ignore_case() -> None:
    assert (
        normalize(IdentifierType.DEVICE_ID, "AB-CD").value
        == normalize(IdentifierType.DEVICE_ID, "ab-cd").value
    )


@pytest.mark.parametrize(
    ("kind", "raw"),
    [(IdentifierType.PHONE, "12"), (IdentifierType.EMAIL, "a@"), (IdentifierType.CRM_ID, "  ")],
)
def test_invalid_values_name_their_type(kind: IdentifierType, raw: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalize(kind, raw)
    assert caught.value.extensions == {"code": "INVALID_IDENTIFIER", "identifierType": kind.value}

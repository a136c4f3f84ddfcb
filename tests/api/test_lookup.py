"""customerByIdentifier normalises its input; bad identifiers get errors that name their type."""

from __future__ import annotations

import pytest

from tests import fixtures
from tests.conftest import GraphQL

LOOKUP = """query($type: IdentifierType!, $value: String!, $appId: String) {
  customerByIdentifier(type: $type, value: $value, appId: $appId) { id fullName } }"""


@pytest.mark.parametrize("raw", fixtures.LI_LEI_PHONE_FORMATS)
async def test_every_phone_format_finds_the_same_customer(gql: GraphQL, raw: str) -> None:
    data = await gql.data(LOOKUP, type="PHONE", value=raw)
    assert data["customerByIdentifier"] == {"id": fixtures.LI_LEI, "fullName": "李雷"}


async def test_email_is_matched_case_insensitively(gql: GraphQL) -> None:
    data = await gql.data(LOOKUP, type="EMAIL", value="LI.LEI@example.com")
    assert data["customerByIdentifier"]["id"] == fixtures.LI_LEI


async def test_openid_is_scoped_by_app(gql: GraphQL) -> None:
    one = await gql.data(LOOKUP, type="WECHAT_OPENID", value="oXLiLeiOpen", appId="wxAPP1")
    two = await gql.data(LOOKUP, type="WECHAT_OPENID", value="oXLiLeiOpen", appId="wxAPP2")
    assert one["customerByIdentifier"]["id"] == fixtures.LI_LEI
    assert two["customerByIdentifier"]["id"] == fixtures.EMMA


async def test_unknown_identifier_is_null(gql: GraphQL) -> None:
    data = await gql.data(LOOKUP, type="PHONE", value="13700000000")
    assert data["customerByIdentifier"] is None


@pytest.mark.parametrize(
    ("kind", "value", "app_id", "named"),
    [
        ("PHONE", "12345", None, "phone"),
        ("PHONE", "not a number", None, "phone"),
        ("EMAIL", "li.lei@", None, "email"),
        ("WECHAT_OPENID", "oXLiLeiOpen", None, "wechat_openid"),
        ("CRM_ID", "   ", None, "crm_id"),
    ],
)
async def test_invalid_identifier_gets_a_clear_error(
    gql: GraphQL, kind: str, value: str, app_id: str | None, named: str
) -> None:
    body = await gql(LOOKUP, type=kind, value=value, appId=app_id)
    assert body["data"] == {"customerByIdentifier": None}
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID_IDENTIFIER"
    assert error["extensions"]["identifierType"] == named
    assert error["message"].startswith(f"Invalid {named} identifier")
    assert error["path"] == ["customerByIdentifier"]

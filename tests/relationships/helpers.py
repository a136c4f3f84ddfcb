"""Mutations the relationship tests share."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQL

LINK = """mutation($input: LinkCustomersInput!) { linkCustomers(input: $input) { changed } }"""
UNLINK = """mutation($input: UnlinkCustomersInput!) { unlinkCustomers(input: $input) { changed } }"""
CREATE_ACCOUNT = """mutation($input: CreateAccountInput!) { createAccount(input: $input) { id name } }"""
ADD_CONTACT = """mutation($input: AccountContactInput!) { addAccountContact(input: $input) { changed } }"""
MOVE_ACCOUNT = """mutation($account: ID!, $parent: ID) {
  moveAccount(accountId: $account, parentId: $parent) { changed account { parent { id } } } }"""


async def link(gql: GraphQL, kind: str, customer: str, related: str, **extra: Any) -> bool:
    data = await gql.data(
        LINK, input={"kind": kind, "customerId": customer, "relatedCustomerId": related, **extra}
    )
    changed: bool = data["linkCustomers"]["changed"]
    return changed


async def unlink(gql: GraphQL, kind: str, customer: str, related: str) -> bool:
    data = await gql.data(UNLINK, input={"kind": kind, "customerId": customer, "relatedCustomerId": related})
    changed: bool = data["unlinkCustomers"]["changed"]
    return changed


async def create_account(gql: GraphQL, name: str, parent: str | None = None) -> str:
    data = await gql.data(CREATE_ACCOUNT, input={"name": name, "industry": "retail", "parentId": parent})
    account_id: str = data["createAccount"]["id"]
    return account_id


async def add_contact(gql: GraphQL, customer: str, account: str, title: str = "Buyer") -> bool:
    data = await gql.data(ADD_CONTACT, input={"customerId": customer, "accountId": account, "title": title})
    changed: bool = data["addAccountContact"]["changed"]
    return changed

"""Root fields of the relationships subgraph: one account, and accounts by name."""

from __future__ import annotations

from typing import Annotated

import strawberry

from core.ids import parse_uuid
from graph_store.relationships import accounts
from graph_store.relationships.accounts import AccountPage, name_key
from subgraphs.kit.context import Info
from subgraphs.kit.entities import AccountRef
from subgraphs.kit.pagination import (
    AFTER_DESCRIPTION,
    Connection,
    build_connection,
    check_first,
    decode_cursor,
    encode_cursor,
    first_description,
)
from subgraphs.relationships.loaders import RelationshipsLoaders
from subgraphs.relationships.loaders import account as load_account
from subgraphs.relationships.types import account_ref


@strawberry.type(name="RelationshipsQuery")
class RelationshipsQuery:
    @strawberry.field(description="One account by id; null when no account has that id.")
    async def account(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Account id (a UUID).")],
    ) -> AccountRef | None:
        return await load_account(info.context, parse_uuid(id, "account id"))

    @strawberry.field(description="Accounts in name order, optionally those whose name contains `search`.")
    async def accounts(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description=first_description("accounts", 20))] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description=(
                    "Only accounts whose name contains this text, ignoring case and repeated spaces; "
                    "every account when omitted or blank."
                )
            ),
        ] = None,
    ) -> Connection[AccountRef]:
        check_first(first, info.context.settings.max_page_size)
        after_key = tuple(str(part) for part in decode_cursor(after, 2)) if after else None
        page = AccountPage(
            first + 1,
            (after_key[0], after_key[1]) if after_key else None,
            search.strip() if search and search.strip() else None,
        )
        nodes = await accounts.search(info.context.sources.graph, page, await info.context.scope.visible())
        loader = info.context.loaders(RelationshipsLoaders).account_by_id
        for node in nodes:
            loader.prime(node.id, node)
        return build_connection(
            nodes,
            first,
            after is not None,
            account_ref,
            lambda node: encode_cursor(name_key(node.name), node.id),
        )

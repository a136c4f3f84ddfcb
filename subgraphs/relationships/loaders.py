"""Per-request loaders of the relationships subgraph: one Cypher call per batch of customers or accounts."""

from __future__ import annotations

from functools import partial

import strawberry

from graph_store.relationships import accounts, households, referrals, shared, traversal
from graph_store.relationships.accounts import AccountNode, Contact, ContactPage
from graph_store.relationships.households import Household
from graph_store.relationships.referrals import ReferralLink
from graph_store.relationships.shared import SharedIdentifier
from graph_store.relationships.traversal import Reached, RelatedQuery
from subgraphs.kit.context import RequestContext
from subgraphs.kit.entities import AccountRef
from subgraphs.kit.loaders import Loader, grouped_loader, keyed_loader
from subgraphs.kit.scope import RowScope
from subgraphs.kit.sources import DataSources


class RelationshipsLoaders:
    def __init__(self, sources: DataSources, scope: RowScope) -> None:
        graph = sources.graph
        # Loaders keyed by customer see only the customers (and accounts) of the scope, at both ends: a federation
        # gateway may ask about any customer id, and whoever it is related to may be out of scope.
        self.household_by_customer: Loader[str, Household | None] = keyed_loader(
            scope.apply(partial(households.households_by_customer, graph)), None
        )
        self.accounts_by_customer: Loader[str, list[Contact]] = keyed_loader(
            scope.apply(partial(accounts.accounts_by_customer, graph)), []
        )
        self.referrer_by_customer: Loader[str, ReferralLink | None] = keyed_loader(
            scope.apply(partial(referrals.referrer_by_customer, graph)), None
        )
        self.referrals_by_customer: Loader[str, list[ReferralLink]] = keyed_loader(
            scope.apply(partial(referrals.referrals_by_customer, graph)), []
        )
        self.shared_by_customer: Loader[str, list[SharedIdentifier]] = keyed_loader(
            scope.apply(partial(shared.shared_by_customer, graph)), []
        )
        self.related: Loader[tuple[str, RelatedQuery], list[Reached]] = grouped_loader(
            scope.apply(partial(traversal.related, graph)), []
        )
        self.account_by_id: Loader[str, AccountNode | None] = keyed_loader(
            scope.apply(partial(accounts.accounts_by_id, graph)), None
        )
        # Children, contacts and roll-ups are asked only of accounts found in scope, and everything below an
        # account in scope is in scope: they need no scope of their own.
        self.children_by_account: Loader[str, list[AccountNode]] = keyed_loader(
            partial(accounts.children_by_account, graph), []
        )
        self.ancestors_by_account: Loader[str, list[AccountNode]] = keyed_loader(
            scope.apply(partial(accounts.ancestors_by_account, graph)), []
        )
        self.contacts_by_account: Loader[tuple[str, ContactPage], list[Contact]] = grouped_loader(
            partial(accounts.contacts_by_account, graph), []
        )
        self.rollup_customer_ids: Loader[str, list[str]] = keyed_loader(
            partial(accounts.rollup_customer_ids, graph), []
        )


async def account(context: RequestContext, account_id: str) -> AccountRef | None:
    """One stored account, batched with every other account loaded in the same tick."""
    node = await context.loaders(RelationshipsLoaders).account_by_id.load(account_id)
    return AccountRef(id=strawberry.ID(account_id), node=node) if node is not None else None

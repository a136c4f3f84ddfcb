"""Finding the customer a write is about, by id or by any identifier, for writes of every subgraph.

A subgraph never reads another's tables: the look-up goes through :class:`~subgraphs.kit.context.CrossSource`
(``resolvers/`` answers it from the profiles subgraph and the identity projection), and comes back as the
surviving customer's id, so a write under a merged-away id or a stale identifier lands on the customer it means.
"""

from __future__ import annotations

import strawberry

from core.errors import BadUserInput
from subgraphs.kit.enums import IdentifierType


@strawberry.input(
    name="CustomerLookupInput",
    description=(
        "A customer, by id or by any identifier: give `id`, or `identifierType` with `identifierValue` (and `appId` "
        "for WeChat openids). A merged-away id finds the customer it was merged into."
    ),
)
class CustomerLookup:
    id: strawberry.ID | None = strawberry.field(default=None, description="Customer id (a UUID).")
    identifier_type: IdentifierType | None = strawberry.field(default=None, description="Kind of identifier.")
    identifier_value: str | None = strawberry.field(
        default=None, description="The identifier as any system writes it; normalised before the look-up."
    )
    app_id: str | None = strawberry.field(default=None, description="The WeChat app of an openid.")

    def check(self) -> None:
        by_identifier = self.identifier_type is not None or self.identifier_value is not None
        if (self.id is None) == (not by_identifier):
            raise BadUserInput(
                "Name the customer by `id`, or by `identifierType` and `identifierValue`: one of them"
            )
        if by_identifier and (self.identifier_type is None or self.identifier_value is None):
            raise BadUserInput("`identifierType` and `identifierValue` go together")

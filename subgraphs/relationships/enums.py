"""GraphQL enums of the relationships subgraph, registered before any type or input uses them."""

from __future__ import annotations

from graph_store.relationships.common import HouseholdRole, RelationKind
from subgraphs.kit.enums import register_enum

register_enum(
    RelationKind,
    name="RelationKind",
    description="Kinds of relationship that connect customers.",
    values={
        RelationKind.HOUSEHOLD: "Members of the same household.",
        RelationKind.ACCOUNT: "Contacts of the same account (company).",
        RelationKind.REFERRAL: "One customer referred the other, in either direction.",
        RelationKind.SHARED_IDENTIFIER: "Customers linked to the same identifier, such as a shared phone or device.",
    },
)
register_enum(
    HouseholdRole,
    name="HouseholdRole",
    description="A member's role in a household.",
    values={
        HouseholdRole.HEAD: "Head of the household.",
        HouseholdRole.PARTNER: "A partner in the household.",
        HouseholdRole.CHILD: "A child in the household.",
        HouseholdRole.PARENT: "A parent in the household.",
        HouseholdRole.OTHER: "Any other member; `linkCustomers` gives this role when none is named.",
    },
)

__all__ = ["HouseholdRole", "RelationKind"]

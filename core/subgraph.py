"""What a subgraph contributes to a schema; ``schema/`` assembles schemas from these parts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SubgraphPart:
    name: str
    customer_fields: type
    """A strawberry type holding only this domain's ``Customer`` fields (its name never reaches the SDL)."""
    query: type
    """A strawberry type holding this domain's root fields."""
    owns_profiles: bool = False
    """Whether this subgraph resolves ``Customer`` representations to golden records (the others return keys)."""
    mutation: type | None = None
    """A strawberry type holding this domain's mutations."""
    account_fields: tuple[type, ...] = ()
    """Strawberry types holding this domain's ``Account`` fields in the unified schema."""
    federated_account_fields: tuple[type, ...] = ()
    """The same in its federation subgraph, with ``@external``/``@requires``/``@inaccessible`` as needed."""
    owns_accounts: bool = False
    """Whether this subgraph resolves ``Account`` representations to stored accounts (the others take keys)."""
    postgres: bool = True
    """Whether this subgraph keeps its data in PostgreSQL (with a DSN, migrations and a readiness check)."""

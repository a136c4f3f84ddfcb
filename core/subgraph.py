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

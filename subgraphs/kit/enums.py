"""GraphQL enums more than one subgraph exposes, registered once so every schema sees the same definition."""

from __future__ import annotations

import strawberry

from graph_store.identifiers import IdentifierType

strawberry.enum(
    IdentifierType, name="IdentifierType", description="Kinds of identifier that can point at a customer."
)

__all__ = ["IdentifierType"]

"""One GraphQL schema from four subgraphs, plus each subgraph's own federation schema, from the same parts."""

from schema.factory import PARTS, subgraph_schema, unified_schema

__all__ = ["PARTS", "subgraph_schema", "unified_schema"]

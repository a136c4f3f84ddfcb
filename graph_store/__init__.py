"""Neo4j: the identity and relationship graph. No GraphQL here; callers pass ids and get plain data back."""

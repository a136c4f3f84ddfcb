"""One room per domain: tables, batched data access, loaders, GraphQL types and root fields. Never import a sibling."""

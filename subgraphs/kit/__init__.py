"""The GraphQL kit every subgraph room builds on: request context, entity refs, pagination, shared enums, loaders.

It sits between ``core/`` (infrastructure, no GraphQL) and the domain rooms; it never imports a domain room.
"""

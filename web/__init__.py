"""The HTTP layer in front of the GraphQL endpoints: request parsing, limits, logging, pages; wired in ``app.py``."""

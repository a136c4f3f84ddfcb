"""The HTTP layer in front of the GraphQL endpoints, wired in ``app.py``: strict request parsing, token guards,
request ids, the GraphiQL page, and protection under load (shedding, rate limits, deadlines, slow clients)."""

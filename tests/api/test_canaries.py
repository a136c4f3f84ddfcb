"""Canary personal data through every way of reaching a customer, for every role: a marker shows only to roles
that may read its class unmasked, and always to those (so the session-wide watch in ``tests/canaries.py`` is not
vacuous). Masked values never contain the marker; withheld ones are absent."""

from __future__ import annotations

import json

import pytest

from core.policy import Decision
from core.settings import Settings
from schema import subgraph_schema, unified_schema
from tests import auth, canaries
from tests.policy_queries import every_field
from tests.servers import in_process

SCHEMA = unified_schema(Settings(_env_file=None))._schema
PROFILES = subgraph_schema("profiles", Settings(_env_file=None))._schema
CUSTOMER = every_field(SCHEMA, "Customer", 2)
DOCUMENTS: dict[str, tuple[str, str]] = {
    # name: (path, document); the operation each needs is its root field
    "Query.customer": ("/graphql", f'{{ customer(id: "{canaries.CANARY}") {{ {CUSTOMER} }} }}'),
    "Query.customerByIdentifier": (
        "/graphql",
        f'{{ customerByIdentifier(type: EMAIL, value: "{canaries.EMAIL}") {{ {CUSTOMER} }} }}',
    ),
    "Query.order": (
        "/graphql",
        f'{{ order(id: "{canaries.CANARY_ORDER}") {{ customer {{ {CUSTOMER} }} }} }}',
    ),
    "Query.ticket": (
        "/graphql",
        f'{{ ticket(id: "{canaries.CANARY_TICKET}") {{ customer {{ {CUSTOMER} }} }} }}',
    ),
    "Query.interaction": (
        "/graphql",
        f'{{ interaction(id: "{canaries.CANARY_INTERACTION}") {{ customer {{ {CUSTOMER} }} }} }}',
    ),
    "Query._entities": (
        "/subgraphs/profiles/graphql",
        f'{{ _entities(representations: [{{__typename: "Customer", id: "{canaries.CANARY}"}}]) '
        f"{{ ... on Customer {{ {every_field(PROFILES, 'Customer', 1)} }} }} }}",
    ),
}
REACHES_EVERY_MARKER = ("Query.customer", "Query._entities")
"""Documents whose selection holds every marker's field (identifiers and names), so allowed roles see them all."""


@pytest.mark.parametrize("role", sorted(canaries.WATCH.policy.roles))
async def test_markers_show_exactly_to_the_roles_that_may_read_them(settings: Settings, role: str) -> None:
    policy = canaries.WATCH.policy
    roles = frozenset({role})
    async with in_process(settings, auth.headers((role,), subject=f"canary-{role}")) as http:
        for operation, (path, document) in DOCUMENTS.items():
            response = await http.post(path, json={"query": document})
            assert response.status_code == 200, (operation, response.text[:300])
            text = json.dumps(response.json(), ensure_ascii=False)
            if not policy.allows(operation, roles):
                codes = {e["extensions"]["code"] for e in response.json()["errors"]}
                assert codes == {"FORBIDDEN"}, (operation, codes)
            for marker, data_class in canaries.MARKERS.items():
                allowed = (
                    policy.allows(operation, roles) and policy.decide(roles, data_class) is Decision.ALLOW
                )
                if not allowed:
                    assert marker not in text, (operation, data_class)
                elif operation in REACHES_EVERY_MARKER:
                    assert marker in text, (operation, data_class)


async def test_every_marker_is_shown_to_someone_and_withheld_from_someone() -> None:
    """The markers cover classes the roles disagree on, so the watch checks something for each of them."""
    policy = canaries.WATCH.policy
    for data_class in set(canaries.MARKERS.values()):
        decisions = {policy.decide(frozenset({role}), data_class) for role in policy.roles}
        assert Decision.ALLOW in decisions, data_class
        assert Decision.DENY in decisions, data_class

"""The planned executor answers exactly as graphql-core does, byte for byte: the benchmark's workload and the
README's examples (the production operations: no fallback allowed), and every query the rest of the test suite
sent (replayed once the suite has run)."""

from __future__ import annotations

import asyncpg
import orjson
import pytest

from bench.workload import API_TEXT
from core.settings import Settings
from schema.execution.counts import EXECUTIONS
from tests import fixtures, recorded
from tests.conftest import GraphQL
from tests.execution.differential import is_query, pair
from web.ide import EXAMPLES

ENTITIES = {
    "/subgraphs/profiles/graphql": "id fullName loyaltyTier identifiers { type value }",
    "/subgraphs/orders/graphql": "lifetimeValue orderCount orders(first: 3) { nodes { id total items { sku } } }",
    "/subgraphs/tickets/graphql": "openTicketCount tickets(status: [OPEN, PENDING]) { id subject slaDueAt }",
    "/subgraphs/interactions/graphql": "interactions(first: 5) { nodes { id kind occurredAt } }",
}


async def _workload_variables(pg: asyncpg.Connection) -> list[tuple[str, dict[str, object]]]:
    generated = [
        r["id"] for r in await pg.fetch("SELECT id::text AS id FROM profiles.customers ORDER BY id LIMIT 6")
    ]
    ids = [fixtures.LI_LEI, fixtures.EMMA, *generated, "0a1b2c3d-0000-4000-8000-00000000dead"]
    cases: list[tuple[str, dict[str, object]]] = []
    for name in ("q1", "q2"):
        cases += [(name, {"id": cid}) for cid in ids]
    for name in ("q3", "q4"):
        cases.append((name, {"after": None}))
    cases += [("q5", {"phone": phone}) for phone in (*fixtures.LI_LEI_PHONE_FORMATS, "13912345678")]
    return cases


async def test_production_operations_are_planned_and_answer_the_same(
    settings: Settings, pg: asyncpg.Connection
) -> None:
    before = EXECUTIONS.copy()
    async with pair(settings, max_page_size=200) as both:  # the benchmark's page size: Q4 asks for 200
        for name, variables in await _workload_variables(pg):
            await both.query(API_TEXT[name], variables)
        # Q3 and Q4 walk their pages by cursor, as the benchmark does.
        for name in ("q3", "q4"):
            after = None
            for _ in range(3):
                body = orjson.dumps({"query": API_TEXT[name], "variables": {"after": after}})
                answer = (await both.planned.post("/graphql", content=body, headers=_admin())).json()
                after = answer["data"]["customers"]["pageInfo"]["endCursor"]
                await both.query(API_TEXT[name], {"after": after})
        for example in EXAMPLES:
            await both.query(example)
        # What a federation gateway asks the subgraphs for the same views.
        representations = [{"__typename": "Customer", "id": c} for c in (fixtures.LI_LEI, fixtures.EMMA)]
        for path, selection in ENTITIES.items():
            await both.query(
                f"query($r: [_Any!]!) {{ _entities(representations: $r) {{ ... on Customer {{ {selection} }} }} }}",
                {"r": representations},
                path=path,
            )
        outcome = both.outcome
    print(f"production operations: {outcome}; executions {dict(EXECUTIONS - before)}")
    assert outcome.differences == [], "\n".join(outcome.differences[:5])
    assert outcome.fallbacks == {}, outcome
    assert outcome.compared == outcome.planned >= 38, outcome
    assert outcome.lean >= outcome.compared - 3, outcome  # but the README's mutation, each went the lean way


@pytest.mark.after_the_suite
async def test_every_query_the_suite_sent_answers_the_same(settings: Settings, gql: GraphQL) -> None:
    """The suite's own documents: whatever the other tests sent through the session's client (and, so that this
    test never compares nothing, the README's examples sent through it here)."""
    for example in EXAMPLES:
        await gql(example)
    requests = [r for r in recorded.REQUESTS if is_query(r.body)]
    # Reading the audit writes to it (each replay's own record), so two reads never see the same records.
    requests = [r for r in requests if b"auditRecords" not in r.body]
    async with pair(settings) as both:
        for request in requests:
            await both.compare(request.body, request.path, request.authorization)
        outcome = both.outcome
    print(f"suite replay: {outcome}")
    assert outcome.differences == [], "\n".join(outcome.differences[:5])
    queries = [e for e in EXAMPLES if is_query(orjson.dumps({"query": e}))]
    assert outcome.equal == outcome.compared == len(requests) >= len(queries) > 0


def _admin() -> dict[str, str]:
    from tests import auth

    return {**auth.headers(), "content-type": "application/json"}

"""Generated documents answer byte for byte as graphql-core answers them, for callers of several roles: random
selections, aliases, fragments, ``@skip``/``@include`` both ways, arguments from variables, invalid input."""

from __future__ import annotations

import pytest

from core.settings import Settings
from schema import unified_schema
from tests.execution.differential import pair
from tests.execution.generated import Generator

ROLES = [("admin",), ("agent",), ("marketing",), ("developer",), ("steward", "sales")]


@pytest.mark.parametrize("roles", ROLES, ids=["-".join(r) for r in ROLES])
async def test_generated_documents_answer_the_same(settings: Settings, roles: tuple[str, ...]) -> None:
    generator = Generator(unified_schema(settings)._schema, seed=len(roles) * 1000 + sum(map(len, roles)))
    async with pair(settings) as both:
        for _ in range(40):
            document = generator.document()
            await both.query(document.text, document.variables, roles)
            switches = {k: not v for k, v in document.variables.items() if isinstance(v, bool)}
            if switches:  # the same document with every @skip/@include the other way
                await both.query(document.text, {**document.variables, **switches}, roles)
        outcome = both.outcome
    print(f"generated ({'-'.join(roles)}): {outcome}")
    assert outcome.differences == [], "\n".join(outcome.differences[:3])
    assert outcome.compared >= 40
    assert outcome.planned >= outcome.compared * 0.9, outcome
    assert outcome.answered >= outcome.compared * 0.7, outcome  # mostly executed, not refused
    assert outcome.with_errors >= 5, outcome  # and errors are compared too

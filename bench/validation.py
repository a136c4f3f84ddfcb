"""Validation CPU time of the largest document the limits allow, of a fragment bomb and of a document over
the field limit, old rules against new.

``uv run python -m bench.validation [--runs N]``. The old rules are strawberry's ``QueryDepthLimiter`` and
``MaxAliasesLimiter`` after graphql-core's own rules (the chain before ``schema/limits.py``); the new rule is
``schema/limits.py``'s, before graphql-core's. Each figure is the median of N runs of strawberry's validation step
(``time.process_time``), no cache. A measurement, not a test: it asserts only that the documents are what they
claim to be.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLSchema,
    Lexer,
    Source,
    TokenKind,
    parse,
    specified_rules,
)
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter
from strawberry.schema.schema import validate_document

from core.settings import Settings
from schema import unified_schema
from schema.limits import DocumentMeasure, Limits, limits_rule

PROFILE = "id givenName familyName fullName gender birthDate city region countryCode loyaltyTier loyaltyPoints status"
GOAL_MS = 50.0


def tokens(text: str) -> int:
    """Tokens as the parser's ``max_tokens`` counts them."""
    lexer, count = Lexer(Source(text)), 0
    while lexer.advance().kind != TokenKind.EOF:
        count += 1
    return count


def fragment_bomb(levels: int) -> str:
    fragments = ["fragment F0 on Query { customers(first: 1) { totalCount } }"]
    fragments += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)]
    return " ".join(fragments) + f" query {{ ...F{levels} }}"


def largest_allowed(settings: Settings) -> str:
    """One operation at every limit at once: depth, aliases, fields, fragment spreads and directives, and the
    remaining tokens spent on an argument list."""
    deep = "id"
    for _ in range(3):
        deep = f"customer {{ orders(first: 1) {{ nodes {{ {deep} }} }} }}"
    deep = f'order(id: "900001") {{ {deep} }}'  # depth 10, 11 fields
    profile = PROFILE.split()[:11]
    aliased = [f"c{i}: customers(first: 10) {{ nodes {{ ...P }} }}" for i in range(settings.max_aliases)]
    typename_spreads = settings.max_fragment_spreads - settings.max_aliases
    flagged = min(settings.max_directives, typename_spreads)
    plain = ["...T"] * (typename_spreads - flagged) + ["...T @include(if: true)"] * flagged
    used = 11 + settings.max_aliases * (2 + len(profile)) + typename_spreads + 2
    plain += ["__typename"] * (settings.max_fields - used)

    def document(cities: int) -> str:
        listed = ", ".join(f'"c{i}"' for i in range(cities))
        return (
            f"query Largest {{ {deep} {' '.join(aliased)} {' '.join(plain)}"
            f" customers(first: 1, filter: {{cities: [{listed}]}}) {{ totalCount }} }}"
            f" fragment P on Customer {{ {' '.join(profile)} }} fragment T on Query {{ __typename }}"
        )

    cities = settings.max_query_tokens - tokens(document(0))
    return document(max(cities, 0))


def median_ms(
    schema: GraphQLSchema, document: DocumentNode, rules: Sequence[type[ASTValidationRule]], runs: int
) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        validate_document(schema, document, tuple(rules))
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (the median is printed)")
    parser.add_argument("--levels", type=int, default=20, help="the bomb expands to 2**levels fragments")
    runs, levels = parser.parse_args().runs, parser.parse_args().levels
    settings = Settings(_env_file=None)
    schema = unified_schema(settings)._schema
    limits = Limits.from_settings(settings)
    limiters = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    rule = limits_rule(limits)
    old, new = [*specified_rules, *limiters], [rule, *specified_rules]

    largest_text = largest_allowed(settings)
    largest = parse(largest_text, max_tokens=settings.max_query_tokens)
    assert not list(DocumentMeasure(schema, largest, limits).errors()), "the largest document must be allowed"
    assert not validate_document(schema, largest, tuple(new)), "the largest document must be valid"
    bomb = parse(fragment_bomb(levels), max_tokens=settings.max_query_tokens)
    [(_, measured)] = DocumentMeasure(schema, largest, limits).measures()

    print(f"validation CPU time, median of {runs} runs (time.process_time), goal <= {GOAL_MS:.0f} ms")
    print(
        f"largest allowed: {tokens(largest_text)} tokens, depth {measured.depth}, {measured.aliases} aliases, "
        f"{measured.fields} fields, {measured.spreads} spreads, {measured.directives} directives, "
        f"cost {measured.cost(limits.list_size)}"
    )
    print(f"fragment bomb: {tokens(fragment_bomb(levels))} tokens, 2**{levels} spreads of F0")
    wide_text = "{ " + "__typename " * (settings.max_query_tokens - 2) + "}"
    wide = parse(wide_text, max_tokens=settings.max_query_tokens)
    print(f"over the field limit: {tokens(wide_text)} tokens, {settings.max_query_tokens - 2} fields")
    print(
        "ms per validation: all rules with the old limiters, with the new rule; the limiters alone, the rule alone"
    )
    print(f"{'document':<18}{'old rules':>12}{'new rules':>12}{'limiters':>12}{'new rule':>12}")
    documents = (("largest allowed", largest), (f"bomb 2**{levels}", bomb), ("over field limit", wide))
    for name, document in documents:
        figures = [median_ms(schema, document, rules, runs) for rules in (old, new, limiters, [rule])]
        print(f"{name:<18}" + "".join(f"{figure:>12.1f}" for figure in figures))


if __name__ == "__main__":
    main()

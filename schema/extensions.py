"""Request limits, caches and error masking; the order of this list matters (limits before execution)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from core.errors import ClientError
from core.settings import Settings
from schema.limits import Limits, limits_rule, string_literals_rule

log = logging.getLogger("c360.graphql")


def is_unexpected(error: GraphQLError) -> bool:
    """Mask only errors nobody meant to show: syntax, validation, limit and client errors stay readable.

    Validation errors, the limits' among them, have no original error, so they are never masked.
    """
    original = error.original_error
    return original is not None and not isinstance(original, ClientError | GraphQLError)


class FirstValidationRules(SchemaExtension):
    """Put rules before graphql-core's own, so a document over the limits is refused before anything else."""

    def __init__(self, rules: Sequence[type[ASTValidationRule]]) -> None:
        self.rules = tuple(rules)

    def on_operation(self) -> Iterator[None]:
        self.execution_context.validation_rules = (*self.rules, *self.execution_context.validation_rules)
        yield


def extensions(settings: Settings) -> list[Callable[[], SchemaExtension] | type[SchemaExtension]]:
    """Extensions are made per request, but the limit rule is made once here.

    The rule classes are part of the validation cache's key: a rule class built per request made every request
    miss the cache and be validated again (most of the CPU time of a small query). Built once, the class stays in
    the key, so a document is validated once against the limits, then served from the cache. The token limit is
    the parser's, counted while it reads.
    """
    rules = [limits_rule(Limits.from_settings(settings)), string_literals_rule(settings.max_string_length)]
    chain: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        lambda: ParserCache(maxsize=512),
        lambda: FirstValidationRules(rules),
        lambda: ValidationCache(maxsize=512),
    ]
    if settings.mask_errors:
        chain.append(error_masker)
    return chain


def error_masker() -> MaskErrors:
    """Masks unexpected errors only (``is_unexpected``), with one message."""
    return MaskErrors(should_mask_error=is_unexpected, error_message="Unexpected error.")


class QuietErrors:
    """Log failing requests without their query text, which may carry personal data such as phone numbers."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if is_unexpected(error):
                log.error("unexpected error at %s", error.path, exc_info=error.original_error)
            else:
                code: Any = (error.extensions or {}).get("code", "GRAPHQL")
                log.debug("client error %s at %s", code, error.path)

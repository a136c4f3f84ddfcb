"""Request limits, caches and error masking; the order of this list matters (limits before execution)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from core.errors import ClientError
from core.settings import Settings

log = logging.getLogger("c360.graphql")


def is_unexpected(error: GraphQLError) -> bool:
    """Mask only errors nobody meant to show: syntax, validation, limit and client errors stay readable."""
    original = error.original_error
    return original is not None and not isinstance(original, ClientError | GraphQLError)


def extensions(settings: Settings) -> list[Callable[[], SchemaExtension] | type[SchemaExtension]]:
    """Extensions are made per request, but the limit rules are made once here.

    ``QueryDepthLimiter`` and ``MaxAliasesLimiter`` build a new rule class each time they are made, and the rule
    classes are part of the validation cache's key: built per request, every request missed the cache and was
    validated again (most of the CPU time of a small query). Sharing the classes keeps them in the key, so a
    document is validated once against the limits, then served from the cache.
    """
    rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    chain: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        lambda: ParserCache(maxsize=512),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=512),
    ]
    if settings.mask_errors:
        chain.append(lambda: MaskErrors(should_mask_error=is_unexpected, error_message="Unexpected error."))
    return chain


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

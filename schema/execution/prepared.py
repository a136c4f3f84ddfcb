"""Queries known to be valid, and their execution without strawberry's per-request machinery (the lean path).

Strawberry parses and validates a document once (its parser and validation caches), but every request still pays
for its extension machinery: instances made per request, an async context manager per hook and extension. A
query document that strawberry has parsed and validated once is kept here (:class:`PreparedQueries`, filled by the
:class:`RememberValid` extension, after the query limits and graphql-core's rules passed), under the rules it was
validated with (whether introspection is refused depends on the caller's roles). ``web/lean.py`` answers a
repeated query from it: :func:`execute_prepared` does what the extensions would do after validation, with the
same functions: the rate-limit charge (in ``web/``), execution by the planned executor, the log of errors without
query text, the audit record (fail closed), and masking of unexpected errors.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    execute,
    get_operation_ast,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.utils.await_maybe import await_maybe
from strawberry.utils.operation import get_first_operation

from schema.audit import write_record

PREPARED = "c360-prepared"
"""Where a schema keeps its :class:`PreparedQueries` (``GraphQLSchema.extensions``)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    document: DocumentNode
    query: str


class PreparedQueries:
    """Documents that parsed and validated, by (query text, whether introspection was refused): an LRU."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.known: OrderedDict[tuple[str, bool], Prepared] = OrderedDict()

    def keep(self, query: str, refuses_introspection: bool, document: DocumentNode) -> None:
        key = (query, refuses_introspection)
        if key not in self.known:
            self.known[key] = Prepared(document, query)
            if len(self.known) > self.size:
                self.known.popitem(last=False)

    def find(self, query: str, refuses_introspection: bool) -> Prepared | None:
        found = self.known.get((query, refuses_introspection))
        if found is not None:
            self.known.move_to_end((query, refuses_introspection))
        return found


def prepared_queries(schema: strawberry.Schema) -> PreparedQueries:
    found = schema._schema.extensions.get(PREPARED)
    if not isinstance(found, PreparedQueries):
        found = PreparedQueries()
        schema._schema.extensions = {**schema._schema.extensions, PREPARED: found}
    return found


def query_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    """The operation a request runs, if it is a query (else ``None``: graphql-core's path answers it)."""
    operation = (
        get_operation_ast(document, operation_name) if operation_name else get_first_operation(document)
    )
    if (
        operation_name is None
        and sum(isinstance(d, OperationDefinitionNode) for d in document.definitions) > 1
    ):
        return None  # graphql-core refuses it: "Must provide operation name..."
    if operation is None or operation.operation is not OperationType.QUERY:
        return None
    return operation


def remembering(schema: strawberry.Schema) -> type[SchemaExtension]:
    """An extension that keeps each document that reached execution (so it parsed and passed validation)."""
    queries = prepared_queries(schema)

    class RememberValid(SchemaExtension):
        def on_execute(self) -> Iterator[None]:
            context = self.execution_context
            document, query = context.graphql_document, context.query
            if document is not None and query is not None and not context.pre_execution_errors:
                refused = NoSchemaIntrospectionCustomRule in context.validation_rules
                queries.keep(query, refused, document)
            yield

    return RememberValid


async def execute_prepared(
    schema: strawberry.Schema,
    prepared: Prepared,
    context: Any,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    extensions: dict[str, Any] | None,
    masker: MaskErrors | None,
    should_mask: Callable[[GraphQLError], bool],
) -> ExecutionResult:
    """A prepared query run as strawberry runs it after validation, without its per-request extension objects."""

    async def run() -> ExecutionResult:
        return await await_maybe(
            execute(
                schema._schema,
                prepared.document,
                root_value=None,
                context_value=context,
                variable_values=variables,
                operation_name=operation_name,
                executor_class=schema.execution_context_class,
                operation_extensions=extensions,
            )
        )

    result = await run()
    if result.errors:
        schema.process_errors(result.errors, None)
    await write_record(context, prepared.document, operation_name, result)
    if masker is not None and result.errors:
        result.errors = [masker.anonymise_error(e) if should_mask(e) else e for e in result.errors]
    return result


__all__ = [
    "PREPARED",
    "Prepared",
    "PreparedQueries",
    "execute_prepared",
    "prepared_queries",
    "query_operation",
    "remembering",
]

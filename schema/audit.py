"""The audit record of each request, written once after execution and before the answer leaves, or the personal
data it was for withheld.

While a request runs, the field guards (``schema/policies.py``) note every unmasked value of an audited class with
its customer and its path, and mutations note the customers whose data they changed (``RequestContext.audit``).
After execution, a request with notes writes one record in one statement (``core/audit.py``); a request without
any writes nothing and costs nothing. When the record cannot be written, every noted value is set to null with an
``AUDIT_UNAVAILABLE`` error on its path, a mutation's path gets the same code saying its change was made, and the
rest of the answer still goes out (HTTP 200): no personal data leaves without its record.

``app.py`` adds :class:`AuditTrail` to every schema it serves (the unified API, each subgraph and its traced
twin, so ``_entities`` too). Schemas built for printing their SDL run without it: its hook is asynchronous, and
they are executed synchronously.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult as StrawberryResult
from strawberry.types.graphql import OperationType as StrawberryOperation

from core import audit
from core.errors import AuditUnavailable
from core.logs import REQUEST_ID
from subgraphs.kit.audit import AuditNotes

CHANGED = (
    "The change was made, but its audit record could not be written; personal data in this answer is withheld"
)


class AuditTrail(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        yield
        execution = self.execution_context
        if execution.operation_type is StrawberryOperation.SUBSCRIPTION:
            return  # each event is audited as it goes out (``on_stream_result``)
        await self._write(execution.result)

    async def on_stream_result(self, result: Any) -> AsyncIterator[None]:
        """A subscription's event: its own record, for what that event showed (its notes are the event's own,
        ``RequestContext.begin_event``), before it is sent."""
        execution = self.execution_context
        if (
            execution.graphql_document is not None
            and execution.operation_type is StrawberryOperation.SUBSCRIPTION
            and isinstance(result, StrawberryResult)
        ):
            await self._write(result)
        yield

    async def _write(self, result: Any) -> None:
        execution = self.execution_context
        if execution.graphql_document is None:
            return
        await write_record(execution.context, execution.graphql_document, execution.operation_name, result)


async def write_record(context: Any, document: DocumentNode, operation_name: str | None, result: Any) -> None:
    """The request's record, if it showed or changed personal data; withheld data and coded errors if it cannot
    be written (the extension's work, also done by the lean path, ``schema/execution/prepared.py``)."""
    notes: AuditNotes | None = getattr(context, "audit", None)
    if not notes or result is None:
        return
    record = _record(context, notes, document, operation_name)
    try:
        await audit.write(context.sources.postgres.db(audit.STORE), record)
    except AuditUnavailable as exc:
        result.errors = [*(result.errors or []), *withhold(result.data, notes, exc)]


def _record(
    context: Any, notes: AuditNotes, document: DocumentNode, operation_name: str | None
) -> audit.AuditRecord:
    operation = get_operation_ast(document, operation_name)
    principal = getattr(context, "principal", None)
    request = getattr(context, "request", None)
    scope = getattr(request, "scope", None)
    return audit.AuditRecord(
        request_id=REQUEST_ID.get(),
        subject=principal.subject if principal is not None else "",
        roles=tuple(sorted(principal.roles)) if principal is not None else (),
        operation=operation.name.value if operation is not None and operation.name is not None else None,
        fields=root_fields(document, operation),
        kind="mutation"
        if operation is not None and operation.operation is OperationType.MUTATION
        else "read",  # a subscription's event reads
        customer_ids=notes.customer_ids(),
        data_classes=notes.data_classes(),
        endpoint=scope.get("path") if isinstance(scope, dict) else None,
    )


def root_fields(document: DocumentNode, operation: OperationDefinitionNode | None) -> tuple[str, ...]:
    """The names of the root fields ``operation`` selects, through fragments; no aliases, no arguments."""
    if operation is None:
        return ()
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

    def names(selection_set: SelectionSetNode, seen: frozenset[str]) -> Iterator[str]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value != "__typename":
                    yield selection.name.value
            elif isinstance(selection, InlineFragmentNode):
                yield from names(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    yield from names(fragment.selection_set, seen | {selection.name.value})

    return tuple(sorted(set(names(operation.selection_set, frozenset()))))


def withhold(data: dict[str, Any] | None, notes: AuditNotes, error: AuditUnavailable) -> list[GraphQLError]:
    """Null every noted value still in ``data``; one coded error per value withheld and per mutation made."""
    errors = []
    for _, _, path in notes.reads:
        keys = path.as_list()
        if _null(data, keys):
            errors.append(
                GraphQLError(str(error), path=keys, original_error=error, extensions=error.extensions)
            )
    for path, _ in notes.changes:
        changed = AuditUnavailable(CHANGED)
        errors.append(
            GraphQLError(CHANGED, path=path.as_list(), original_error=changed, extensions=changed.extensions)
        )
    return errors


def _null(data: Any, keys: list[str | int]) -> bool:
    """Set the value at ``keys`` to null; False when it is not in ``data`` (its parent was nulled) or already null."""
    parent = data
    for key in keys[:-1]:
        try:
            parent = parent[key]
        except (KeyError, IndexError, TypeError):
            return False
        if parent is None:
            return False
    last = keys[-1]
    try:
        if parent[last] is None:
            return False
        parent[last] = None
    except (KeyError, IndexError, TypeError):
        return False
    return True


def audited(schema: strawberry.Schema) -> strawberry.Schema:
    """``schema`` with the audit trail after its own extensions."""
    schema.extensions = (*schema.extensions, AuditTrail)
    return schema

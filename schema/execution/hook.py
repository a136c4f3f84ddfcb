"""Where the planned executor meets graphql-core: an executor class strawberry runs every operation with.

Parsing, validation, the query limits, the rate limit, error masking and the audit trail stay strawberry's
extensions around execution; variables are coerced by graphql-core (``Executor.build``). Only the execution of a
query changes: it runs its cached plan. Mutations, subscriptions and what a plan does not support (introspection,
abstract types) run in graphql-core as before, and every query that does is counted with its reason.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from collections.abc import Awaitable
from typing import Any

from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode, OperationType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.execution.compiled import Uncompilable, run_compiled, uncompilable
from schema.execution.counts import EXECUTIONS, count
from schema.execution.plan import Plan, Planner, Unsupported, skip_include_variables
from schema.execution.run import run

PLANNER = "c360-planner"
"""Where a schema keeps its :class:`Plans` (``GraphQLSchema.extensions``)."""


class Plans:
    """A schema's planner and its plans, most recently used kept (an LRU, like the parser and validation caches)."""

    def __init__(self, planner: Planner, size: int = 1024, compile: bool = True) -> None:
        self.planner = planner
        self.compile = compile
        """Whether queries whose fields all read PostgreSQL rows run as one statement (``compiled.py``)."""
        self.size = size
        self.plans: OrderedDict[tuple[Any, ...], tuple[OperationDefinitionNode, Plan | Unsupported]] = (
            OrderedDict()
        )
        self.switches: dict[int, tuple[OperationDefinitionNode, tuple[str, ...]]] = {}

    def plan_for(self, executor: PlannedExecutor) -> Plan:
        """The operation's plan for this request's ``@skip``/``@include`` values and caller, built on first use."""
        operation = executor.operation
        switches = self.switches.get(id(operation))
        if switches is None or switches[0] is not operation:
            switches = (operation, skip_include_variables(operation, executor.fragments))
            self.switches[id(operation)] = switches
            if len(self.switches) > self.size:
                self.switches.pop(next(iter(self.switches)))
        coerced = executor.variable_values.coerced
        principal = getattr(executor.context_value, "principal", None)
        roles = principal.roles if principal is not None else None
        key = (id(operation), tuple(coerced.get(name) for name in switches[1]), roles)
        found = self.plans.get(key)
        if found is not None and found[0] is operation:
            self.plans.move_to_end(key)
            plan = found[1]
        else:
            try:
                plan = self.planner.build(operation, executor.fragments, executor.variable_values, principal)
            except Unsupported as unsupported:
                plan = unsupported
            self.plans[key] = (operation, plan)
            if len(self.plans) > self.size:
                self.plans.popitem(last=False)
        if isinstance(plan, Unsupported):
            raise plan
        return plan


def install(schema: GraphQLSchema, planner: Planner, compile: bool = True) -> None:
    """Plan the queries of ``schema`` (built by strawberry with :class:`PlannedExecutor`); ``compile``: run those
    that read only PostgreSQL rows as one statement."""
    schema.extensions = {**schema.extensions, PLANNER: Plans(planner, compile=compile)}


def planned_schema(schema: GraphQLSchema) -> bool:
    return isinstance(schema.extensions.get(PLANNER), Plans)


def response_order(data: Any, error: GraphQLError) -> tuple[Any, ...]:
    """Where an error's path sits in the response, depth first: keys in the order the response shows them (the
    document's), list items by index; below a nulled value, by the error's place in the document."""
    path = error.path
    if not path:
        return (0,)
    place: list[tuple[Any, ...]] = []
    node = data
    for element in path:
        if isinstance(element, int):
            place.append((0, element))
            node = node[element] if isinstance(node, list) and element < len(node) else None
        elif isinstance(node, dict) and element in node:
            place.append((0, list(node).index(element)))
            node = node[element]
        else:
            location = error.locations[0] if error.locations else None
            place.append((1, location.line if location else 0, location.column if location else 0, element))
            node = None
    return (1, *place)


class PlannedExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, which runs queries from their plans.

    Whichever runs an operation, its errors are listed in the order of their paths in the response (depth first):
    graphql-core lists them in the order they happened, which depends on how resolvers interleave; the plan runs
    fields level by level. One order for both, and a stable one for clients."""

    def build_response(self, data: dict[str, Any] | None) -> Any:
        errors = self.collected_errors.errors
        if len(errors) > 1:
            errors.sort(key=lambda error: response_order(data, error))
        return super().build_response(data)

    @property
    def planner(self) -> Planner:
        plans: Plans = self.schema.extensions[PLANNER]
        return plans.planner

    def execute_operation(self, serially: bool | None = None) -> Any:
        plans = self.schema.extensions.get(PLANNER)
        if not isinstance(plans, Plans) or self.operation.operation is not OperationType.QUERY:
            return super().execute_operation(serially)
        manager = self.middleware_manager
        if manager is not None and manager.middlewares:
            # An extension that wraps every resolver (federated tracing) sees every field only in graphql-core.
            count("graphql-core", "field middleware")
            return super().execute_operation(serially)
        try:
            plan = plans.plan_for(self)
        except Unsupported as unsupported:
            count("graphql-core", unsupported.reason)
            return super().execute_operation(serially)
        if self.compiles:
            if plan.compiled is None:
                reason = uncompilable(self, plan)
                plan.compiled = reason is None
                if reason is not None:
                    count("planned", f"not compiled: {reason}")
                    return self._planned(plan)
            if plan.compiled:
                return self._compiled(plan)
        count("planned")
        return self._planned(plan)

    @property
    def compiles(self) -> bool:
        plans: Plans = self.schema.extensions[PLANNER]
        return plans.compile

    def _planned(self, plan: Plan) -> Any:
        try:
            data = run(self, plan)
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.build_response(None)
        if isinstance(data, dict) or data is None:
            return self.build_response(data)
        return self._finish(data)

    async def _compiled(self, plan: Plan) -> Any:
        """The answer from one statement (``compiled.py``); the plan's own run when it cannot be one."""
        try:
            data = await run_compiled(self, plan)
        except Uncompilable as reason:
            plan.compiled = False
            count("planned", f"not compiled: {reason}")
        except (
            Exception
        ):  # arguments a form cannot express, or the statement failed: the plan says why, if anything
            count("planned", "compiled statement not run")
        else:
            plan.compiled = True
            count("compiled")
            return self.build_response(data)
        result = self._planned(plan)
        return await result if inspect.isawaitable(result) else result

    async def _finish(self, data: Awaitable[dict[str, Any] | None]) -> Any:
        try:
            return self.build_response(await data)
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.build_response(None)


__all__ = ["EXECUTIONS", "PLANNER", "PlannedExecutor", "Plans", "install", "planned_schema"]

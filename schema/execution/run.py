"""Running a plan: level by level, one call per batch field and level, values completed as graphql-core does.

Each level holds, per object plan, the objects to resolve with their result dictionaries (keys in response order,
filled as values arrive) and their :class:`Position`. Fields read synchronously are completed at once; batch
fields are called once with every parent of the level and awaited together with the level's other asynchronous
resolvers, so one level costs one task per batch field. Completed objects join the next level.

Errors follow graphql-core exactly: an error is located where it arose (field or list item), a null or an error in
a non-null position nulls the nearest nullable position above it, and an error below a position already nulled is
dropped (graphql-core's ``CollectedErrors``, used as is).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, Undefined, located_error
from graphql.execution.executor import invalid_return_type_error
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, is_iterable
from strawberry.types.arguments import convert_arguments

from core.policy import Decision
from schema.execution.plan import FieldPlan, Kind, ObjectPlan, Plan, Read, TypePlan
from schema.policies import masked, withheld

if TYPE_CHECKING:
    from schema.execution.hook import PlannedExecutor


class Position:
    """Where a value sits in the response: nulled in place when an error reaches it and it is nullable."""

    __slots__ = ("container", "key", "nullable", "parent", "path")

    def __init__(
        self, container: Any, key: Any, nullable: bool, parent: Position | None, path: Path | None
    ) -> None:
        self.container = container
        self.key = key
        self.nullable = nullable
        self.parent = parent
        self.path = path


Item = tuple[Any, dict[str, Any], Position]
"""A source object, its result dictionary and its position."""
Level = dict[ObjectPlan, list[Item]]


class Run:
    """One execution of a plan inside a graphql-core executor (its variables, context and error collection)."""

    def __init__(self, executor: PlannedExecutor, plan: Plan) -> None:
        self.executor = executor
        self.plan = plan
        self.context = executor.context_value
        self.planner = executor.planner
        self.principal = getattr(self.context, "principal", None)
        self.notes = getattr(self.context, "audit", None)
        self.nulled = False
        self.next: Level = {}

    def start(self) -> dict[str, Any] | Awaitable[dict[str, Any] | None] | None:
        """The response data, or an awaitable of it once a level has asynchronous work (a query whose fields are
        all synchronous completes synchronously, as ``execute_sync`` needs)."""
        holder: dict[str, Any] = {"data": None}
        root = Position(holder, "data", True, None, None)
        data = dict.fromkeys(self.plan.root.keys)
        holder["data"] = data
        level: Level = {self.plan.root: [(self.executor.root_value, data, root)]}
        while level:
            waits = self.level(level)
            if waits:
                return self.rest(holder, waits)
            level = self.next
        result: dict[str, Any] | None = holder["data"]
        return result

    async def rest(self, holder: dict[str, Any], waits: list[Awaitable[None]]) -> dict[str, Any] | None:
        while True:
            if len(waits) == 1:
                await waits[0]
            elif waits:
                await asyncio.gather(*waits)
            if not self.next:
                break
            waits = self.level(self.next)
        result: dict[str, Any] | None = holder["data"]
        return result

    def level(self, level: Level) -> list[Awaitable[None]]:
        """Resolve one level's fields; completed objects go to ``self.next``, asynchronous work is returned."""
        self.next = {}
        waits: list[Awaitable[None]] = []
        for object_plan, items in level.items():
            alive = self.alive(items) if self.nulled else items
            if alive:
                for field in object_plan.fields:
                    self.field(field, alive, waits)
        return waits

    def alive(self, items: list[Item]) -> list[Item]:
        nulled = self.executor.collected_errors.has_nulled_position
        return [item for item in items if not nulled(item[2].path)]

    # --- fields -------------------------------------------------------------------------------------------

    def field(self, field: FieldPlan, items: list[Item], waits: list[Awaitable[None]]) -> None:
        read = field.read
        key = field.key
        if read is Read.TYPENAME:
            name = field.parent_type.name
            for _, result, _ in items:
                result[key] = name
            return
        if read is Read.BATCH:
            waits.append(self.batch(field, items))
            return
        if read is Read.RESOLVER:
            self.resolver(field, items, waits)
            return
        guard = field.guard
        if read is Read.ATTR and guard is None and field.type.kind is Kind.LEAF:
            self.leaves(field, items)
            return
        if read is Read.ATTR:
            attribute = field.attribute
            for item in items:
                source = item[0]
                if guard is not None and not self.allowed(field, item):
                    continue
                try:
                    value = getattr(source, attribute)
                except Exception as error:
                    self.error(error, field, item)
                    continue
                self.settle(field, item, value)
            return
        method = field.method
        assert method is not None
        for item in items:
            if guard is not None and not self.allowed(field, item):
                continue
            try:
                if read is Read.METHOD:
                    value = method(item[0])
                else:
                    value = method(item[0], **{field.attribute: self.strawberry_info(field, item)})
            except Exception as error:
                self.error(error, field, item)
                continue
            self.settle(field, item, value)

    def leaves(self, field: FieldPlan, items: list[Item]) -> None:
        """The commonest field: an attribute shown as is (public), completed as a leaf."""
        attribute, key, leaf = field.attribute, field.key, field.type.leaf
        assert leaf is not None
        nullable = field.type.nullable
        for item in items:
            try:
                value = getattr(item[0], attribute)
                if value is None:
                    if not nullable:
                        raise TypeError(
                            f"Cannot return null for non-nullable field {field.parent_type.name}.{field.name}."
                        )
                    continue  # the result holds None already
                item[1][key] = leaf(value)
            except Exception as error:
                self.error(error, field, item)

    def allowed(self, field: FieldPlan, item: Item) -> bool:
        """Whether the policy lets the caller read this field of this object (masked or not); a withheld value is
        refused before it is read, as the policy's wrapper refuses it before the resolver runs."""
        decision = field.decision
        kind = ""
        if decision is None:
            assert field.guard is not None
            kind, _, decision = field.guard.decide(self.planner.policy, self.principal, item[0])  # type: ignore[arg-type]
        if decision is Decision.DENY:
            guard = field.guard
            assert guard is not None
            self.error(withheld(field.name, kind or guard.data_class), field, item)
            return False
        return True

    def shown(self, field: FieldPlan, item: Item, value: Any) -> Any:
        """The value as the policy shows it: as is (noting it for the audit when its class is audited), or masked."""
        guard = field.guard
        if guard is None or value is None:
            return value
        decision = field.decision
        if decision is None:
            kind, how, decision = guard.decide(self.planner.policy, self.principal, item[0])  # type: ignore[arg-type]
            audited = kind in self.planner.policy.audited  # type: ignore[union-attr]
        else:
            kind, how, audited = guard.data_class, guard.mask, field.audited
        if decision is Decision.ALLOW:
            if audited and self.notes is not None:
                owner = guard.owner(item[0]) if guard.owner is not None else None
                self.notes.read(kind, owner, self.field_path(field, item))
            return value
        return masked(value, how)

    def settle(self, field: FieldPlan, item: Item, value: Any) -> None:
        """Complete a field's value into its object's result, or locate its error."""
        try:
            if field.guard is not None:
                value = self.shown(field, item, value)
            item[1][field.key] = self.complete(field, field.type, value, item, None)
        except Exception as error:
            self.error(error, field, item)

    # --- asynchronous reads ----------------------------------------------------------------------------------

    def arguments(self, field: FieldPlan) -> dict[str, Any]:
        if not field.has_arguments:
            return {}
        if field.constant_arguments is not None:
            return field.constant_arguments
        executor = self.executor
        return get_argument_values(field.definition, field.nodes[0], executor.variable_values)

    def resolver(self, field: FieldPlan, items: list[Item], waits: list[Awaitable[None]]) -> None:
        try:
            arguments = self.arguments(field)
        except Exception as error:
            for item in items:
                self.error(error, field, item)
            return
        resolve = field.definition.resolve or self.executor.field_resolver
        build = self.executor.build_resolve_info
        pending: list[tuple[Item, Awaitable[Any]]] = []
        for item in items:
            info = build(field.definition, field.nodes, field.parent_type, self.field_path(field, item))
            try:
                value = resolve(item[0], info, **arguments)
            except Exception as error:
                self.error(error, field, item)
                continue
            if self.executor.is_awaitable(value):
                pending.append((item, value))
            elif self.awaitable_items(value):
                pending.append((item, self.items_of(value)))
            else:
                self.place(field, item, value)
        if pending:
            waits.append(self.awaiting(field, pending))

    async def awaiting(self, field: FieldPlan, pending: list[tuple[Item, Awaitable[Any]]]) -> None:
        results = await asyncio.gather(*(value for _, value in pending), return_exceptions=True)
        for (item, _), value in zip(pending, results, strict=True):
            if isinstance(value, BaseException) and not isinstance(value, Exception):
                raise value
            if self.awaitable_items(value):
                value = await self.items_of(value)
            self.place(field, item, value)

    def awaitable_items(self, value: Any) -> bool:
        """A list whose items are awaitables (federation's ``_entities``): graphql-core awaits each item."""
        return isinstance(value, list) and any(self.executor.is_awaitable(v) for v in value)

    async def items_of(self, values: list[Any]) -> list[Any]:
        """The items awaited together; an item that fails is that item's error, located at it when completed."""
        awaited = await asyncio.gather(
            *(v if self.executor.is_awaitable(v) else _ready(v) for v in values), return_exceptions=True
        )
        for value in awaited:
            if isinstance(value, BaseException) and not isinstance(value, Exception):
                raise value
        return list(awaited)

    def place(self, field: FieldPlan, item: Item, value: Any) -> None:
        try:
            item[1][field.key] = self.complete(field, field.type, value, item, None)
        except Exception as error:
            self.error(error, field, item)

    async def batch(self, field: FieldPlan, items: list[Item]) -> None:
        resolver = field.batch
        assert resolver is not None
        if field.guard is not None:
            items = [item for item in items if self.allowed(field, item)]
            if not items:
                return
        try:
            arguments = self.python_arguments(field)
            values = await resolver(
                [item[0] for item in items], self.context, self.columns(field), **arguments
            )
            if len(values) != len(items):
                raise TypeError(f"{resolver.name} answered {len(values)} values for {len(items)} parents")
        except Exception as error:
            for item in items:
                self.error(error, field, item)
            return
        if field.type.kind is Kind.LEAF and field.shown_as_is:
            self.batch_leaves(field, items, values)
            return
        for item, value in zip(items, values, strict=True):
            if isinstance(value, Exception):
                self.error(value, field, item)
            else:
                self.settle(field, item, value)

    def batch_leaves(self, field: FieldPlan, items: list[Item], values: Sequence[Any]) -> None:
        """A batch field's leaves that show as they are (summaries, counts): completed in one loop; a null, an
        error or a refused value takes the field-by-field path, which locates it."""
        key, leaf, nullable = field.key, field.type.leaf, field.type.nullable
        assert leaf is not None
        for item, value in zip(items, values, strict=True):
            if value is None and nullable:
                continue  # the result holds None already
            if isinstance(value, Exception):
                self.error(value, field, item)
                continue
            if value is None or value is Undefined:
                self.settle(field, item, value)  # graphql-core's error for a null in a non-null field
                continue
            try:
                item[1][key] = leaf(value)
            except Exception as error:
                self.error(error, field, item)

    def python_arguments(self, field: FieldPlan) -> dict[str, Any]:
        arguments = self.arguments(field)
        strawberry_field = field.strawberry_field
        if not arguments or strawberry_field is None:
            return {}
        planner = self.planner
        return convert_arguments(arguments, strawberry_field.arguments, planner.scalars, planner.config)

    def columns(self, field: FieldPlan) -> frozenset[str] | None:
        return field.columns

    # --- completion -------------------------------------------------------------------------------------------

    def complete(
        self, field: FieldPlan, type_plan: TypePlan, value: Any, item: Item, position: Position | None
    ) -> Any:
        """The completed value of ``value`` (a field's, or a list item's when ``position`` is given)."""
        if value is None or value is Undefined:
            if type_plan.nullable:
                return None
            raise TypeError(
                f"Cannot return null for non-nullable field {field.parent_type.name}.{field.name}."
            )
        if isinstance(value, Exception):
            raise value
        kind = type_plan.kind
        if kind is Kind.LEAF:
            return type_plan.leaf(value)  # type: ignore[misc]
        if kind is Kind.LIST:
            if not is_iterable(value):
                raise GraphQLError(
                    "Expected Iterable, but did not find one for field"
                    f" '{field.parent_type.name}.{field.name}'."
                )
            here = position if position is not None else self.field_position(field, item, type_plan.nullable)
            return self.complete_list(field, type_plan, value, item, here)
        object_plan = type_plan.object
        if kind is Kind.ABSTRACT or object_plan is None or object_plan.type.is_type_of is not None:
            object_plan = self.runtime_plan(field, type_plan, value, item)
        inline = object_plan.inline
        if inline is not None:
            built = inline(value)
            if built is not None:
                return built
        here = position if position is not None else self.field_position(field, item, type_plan.nullable)
        result = dict.fromkeys(object_plan.keys)
        found = self.next.get(object_plan)
        if found is None:
            self.next[object_plan] = [(value, result, here)]
        else:
            found.append((value, result, here))
        return result

    def runtime_plan(self, field: FieldPlan, type_plan: TypePlan, value: Any, item: Item) -> ObjectPlan:
        """The object plan of a value of an abstract type (its ``resolve_type``), or of an object type that checks
        its values (``is_type_of``), with graphql-core's own checks and errors."""
        executor = self.executor
        info = executor.build_resolve_info(
            field.definition, field.nodes, field.parent_type, self.field_path(field, item)
        )
        abstract = type_plan.abstract
        if abstract is not None:
            assert type_plan.objects is not None
            resolve_type = abstract.resolve_type or executor.type_resolver
            name = resolve_type(value, info, abstract)
            if executor.is_awaitable(name):
                _close(name)
                raise TypeError(f"{abstract} resolves its values' types asynchronously")
            runtime = executor.ensure_valid_runtime_type(name, abstract, field.details, info, value)
            object_plan = type_plan.objects[runtime.name]
        else:
            assert type_plan.object is not None
            object_plan = type_plan.object
        is_type_of = object_plan.type.is_type_of
        if is_type_of is not None:
            matches = is_type_of(value, info)
            if executor.is_awaitable(matches):
                _close(matches)
                raise TypeError(f"{object_plan.type} checks its values asynchronously")
            if not matches:
                raise invalid_return_type_error(object_plan.type, value, field.details)
        return object_plan

    def complete_list(
        self, field: FieldPlan, type_plan: TypePlan, values: Iterable[Any], item: Item, here: Position
    ) -> list[Any]:
        """A list's items, each completed in its own position: a nullable item that fails is null with its error;
        a non-null one fails the list, located at the item (graphql-core's ``complete_list_item_value``)."""
        item_plan = type_plan.item
        assert item_plan is not None
        completed: list[Any] = []
        append = completed.append
        leaf = item_plan.kind is Kind.LEAF
        inline = item_plan.object.inline if item_plan.object is not None else None
        for index, value in enumerate(values):
            if inline is not None:
                built = inline(value)
                if built is not None:
                    append(built)
                    continue
            position = (
                None
                if leaf
                else Position(completed, index, item_plan.nullable, here, Path(here.path, index, None))
            )
            try:
                append(self.complete(field, item_plan, value, item, position))
            except Exception as error:
                path = position.path if position is not None else Path(here.path, index, None)
                assert path is not None
                located = located_error(error, field.nodes, path.as_list())
                if not item_plan.nullable:
                    raise located from None
                append(None)
                self.nulled = True
                self.executor.collected_errors.add(located, path)
        return completed

    # --- errors -------------------------------------------------------------------------------------------

    def field_path(self, field: FieldPlan, item: Item) -> Path:
        return Path(item[2].path, field.key, field.parent_type.name)

    def field_position(self, field: FieldPlan, item: Item, nullable: bool) -> Position:
        return Position(item[1], field.key, nullable, item[2], self.field_path(field, item))

    def error(self, raw: Exception, field: FieldPlan, item: Item) -> None:
        position = self.field_position(field, item, field.type.nullable)
        assert position.path is not None
        self.propagate(located_error(raw, field.nodes, position.path.as_list()), position)

    def propagate(self, error: GraphQLError, position: Position) -> None:
        """Null the nearest nullable position at or above ``position`` and keep the error (unless a position above
        was nulled before, as graphql-core does)."""
        while not position.nullable:
            parent = position.parent
            assert parent is not None, "the response's own position is nullable"
            position = parent
        position.container[position.key] = None
        self.nulled = True
        self.executor.collected_errors.add(error, position.path)

    def strawberry_info(self, field: FieldPlan, item: Item) -> Any:
        raw = self.executor.build_resolve_info(
            field.definition, field.nodes, field.parent_type, self.field_path(field, item)
        )
        return self.planner.info_class(_raw_info=raw, _field=field.strawberry_field)


async def _ready(value: Any) -> Any:
    return value


def _close(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()


def run(executor: PlannedExecutor, plan: Plan) -> dict[str, Any] | Awaitable[dict[str, Any] | None] | None:
    return Run(executor, plan).start()


__all__ = ["Position", "run"]

"""Compiled subtrees: a query whose every field reads PostgreSQL rows of one database runs as one statement that
builds the answer's JSON in PostgreSQL.

The plan (``plan.py``) has already collected the fields, their response keys and order, and the policy's decisions
for the caller's roles. Here each field becomes SQL: leaf fields of a type declared rows of a table read its
columns, formatted as the schema's scalars show them (IDs and decimals as text, instants as Python's
``isoformat``, enums by name); fields with a SQL form (``subgraphs.kit.compiled``) read their rows or figures
through it; lists and connections aggregate their items in their order. The statement returns the ``data``
object's text, decoded once (``orjson``): what follows (errors, the audit, the response's encoding) is as for any
answer.

What cannot be expressed leaves the request to the plan's own run, so answers never differ:

- a field without a SQL form, a field the policy masks, withholds or decides per value, a scalar without a SQL
  format, a root field the caller's roles may not call, stores in several databases: the plan is never compiled
  (decided once per plan, :class:`Uncompilable`);
- arguments a form cannot express (``NotCompiled``) or that would be an error (a malformed cursor, a page too
  large), and a statement that fails, including the guards that make a null in a non-null field or an unknown enum
  value fail the statement: that request runs by its plan, which reports the error exactly as graphql-core does.

Values of audited classes are noted as the field guards note them, with their customer (each such object carries
its owner under a key no GraphQL name can take, removed before anything else reads the data) and their path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson
from graphql import GraphQLEnumType, GraphQLError, GraphQLLeafType, get_named_type, located_error
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField

from core.errors import Forbidden
from core.policy import Decision
from core.visibility import EVERYTHING, Visible
from schema.execution.counts import count_statement
from schema.execution.plan import (
    STRAWBERRY,
    FieldPlan,
    Kind,
    ObjectPlan,
    Plan,
    Read,
    TypePlan,
    uses_variables,
)
from schema.policies import OPERATION, masked
from subgraphs.kit.compiled import (
    SQL_KEY,
    NotCompiled,
    Rows,
    Shape,
    Sql,
    Table,
    Value,
    instant,
    table_of,
)
from subgraphs.kit.enums import IdentifierType

if TYPE_CHECKING:
    from schema.execution.hook import PlannedExecutor

OWNER_KEY = "#o"
"""Where an object with audited fields carries its owner in the statement's JSON (not a GraphQL name)."""
TYPE_KEY = "#t"
"""Where an object with an identifier's value carries the identifier's type (its value's class follows it)."""
MAX_PAIRS = 50
"""``json_build_object`` takes at most 100 arguments."""


class Uncompilable(Exception):
    """The plan has a field no statement can read (the reason is counted); its requests run by the plan."""


Classes = str | Mapping[str, str]
"""A field's audited data class, or by identifier type the audited class of an identifier's value (a type whose
values are not audited is absent)."""
Finish = Callable[[Any, str | None, Any], Any]
"""``(the statement's value, the object's identifier type, the request's context) ->`` the value shown: a mask, or
a figure SQL leaves to Python (``Value.finish``). A mask raises ``Forbidden`` for a value it cannot show (the
field is then null with that error, as the field guard makes it)."""
Fail = Callable[[GraphQLError, Path], None]
"""Keeps a field's error at its path (the request's errors)."""


@dataclass(slots=True, eq=False)
class Walk:
    """What is left to do in an object of the answer once decoded: its audited keys, the values Python finishes
    (masks, figures), and the objects below that hold some."""

    audited: list[tuple[str, Classes]] = field(default_factory=list)
    """(response key, data class)."""
    finished: list[tuple[str, Finish, Any]] = field(default_factory=list)
    """(response key, how its value is finished, the field's nodes for its error)."""
    children: list[tuple[str, Walk, bool]] = field(default_factory=list)
    """(response key, the child's walk, whether the key holds a list of them)."""
    typed: bool = False
    """Whether the object carries its identifier type (:data:`TYPE_KEY`)."""

    def __bool__(self) -> bool:
        return bool(self.audited or self.finished or self.children)


Step = Callable[["Statement", list[Any]], Any]
"""A part of a statement that depends on the request (a form given its arguments, the row scope and the clock):
``(the statement being built, the results of the steps before) ->`` its result (a form's rows or SQL text)."""
Fingerprint = Callable[[Any], object]
"""What of a step's result the statement's text depends on (equal fingerprints, equal text)."""


@dataclass(frozen=True, slots=True)
class Built:
    """A plan's statement, kept on the plan (``Plan.statements``) for the requests after the first.

    Its text depends on the plan (fields, keys, the policy's decisions for the caller's roles) and on what its
    steps gave: a later request of the plan replays the steps with its own arguments, binding its own parameters
    in the same order, and when every step's fingerprint is the one recorded, the text is this text. Building
    the text again costs a console view more than a third of its CPU."""

    text: str
    walk: Walk
    stores: frozenset[str]
    steps: tuple[tuple[Step, Fingerprint, int, object], ...]
    """(the step, its fingerprint, the aliases taken before it, the fingerprint it gave)."""

    @property
    def prints(self) -> tuple[object, ...]:
        """The fingerprints its steps gave: its key among the plan's statements."""
        return _prints(self.steps)


KEPT = 16
"""Statements kept per plan (a first page and a page after a cursor differ in text, for example)."""


def _prints(steps: Sequence[tuple[Step, Fingerprint, int, object]]) -> tuple[object, ...]:
    return tuple(given for *_, given in steps)


def _same(text: Any) -> object:
    return text


def _rows_print(rows: Rows) -> object:
    probe = "p0"
    return (
        rows.shape,
        rows.store,
        rows.source,
        rows.page,
        rows.has_previous,
        rows.order(probe),
        rows.cursor(probe) if rows.cursor is not None else None,
        rows.total is not None,
    )


class _Typed(NamedTuple):
    """An identifier of a given type, as the field guard asks it (``FieldGuard.decide`` reads its ``type``)."""

    type: IdentifierType


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def leaf_sql(leaf: GraphQLLeafType, expression: str) -> str | None:
    """``expression`` as the schema shows a value of ``leaf``; ``None`` for a scalar with no SQL format here."""
    if isinstance(leaf, GraphQLEnumType):
        cases = []
        for name, definition in leaf.values.items():
            value = getattr(definition.value, "value", definition.value)
            if not isinstance(value, str):
                return None
            cases.append(f"WHEN {_literal(value)} THEN {_literal(name)}")
        # An unknown value fails the statement (the plan then reports it as graphql-core does).
        unknown = f"(({expression})::text || ' is no {leaf.name}')::int::text"
        return f"CASE {expression} {' '.join(cases)} ELSE {unknown} END"
    name = leaf.name
    if name in ("ID", "Decimal"):
        return f"({expression})::text"
    if name in ("String", "Int", "Boolean"):
        return expression
    if name == "DateTime":
        return instant(expression)
    if name == "Date":
        return f"to_char({expression}, 'YYYY-MM-DD')"
    return None


def _not_null(expression: str) -> str:
    """A value that must not be null: as JSON, or the statement fails when it is (the plan reports the error)."""
    return (
        f"coalesce(to_json({expression}), ((pg_typeof({expression}))::text || ' is null')::int::text::json)"
    )


class Statement:
    """One request's statement, built from its plan and arguments."""

    def __init__(self, executor: PlannedExecutor, sql: Sql) -> None:
        self.executor = executor
        self.planner = executor.planner
        self.sql = sql
        self.stores: set[str] = set()
        self.laterals: dict[str, dict[str, str]] = {}
        """Per row alias: the ``LATERAL`` subqueries its figures read (alias of each -> its join)."""
        self.steps: list[tuple[Step, Fingerprint, int, object]] = []
        self.results: list[Any] = []

    def step(self, step: Step, fingerprint: Fingerprint = _same) -> Any:
        """Run ``step`` and record it, for the requests that reuse this statement (:class:`Built`)."""
        aliases = self.sql.aliases
        result = step(self, self.results)
        self.results.append(result)
        self.steps.append((step, fingerprint, aliases, fingerprint(result)))
        return result

    def replay(self, built: Built) -> tuple[object, ...]:
        """Replay ``built``'s steps for this request, binding its parameters: the fingerprints they give.

        Every statement of a plan has the same steps (the plan's forms, in the order its fields are built), so
        the fingerprints name the kept statement whose text is this request's, if there is one."""
        for step, fingerprint, aliases, _ in built.steps:
            self.sql.aliases = aliases
            self.step(step, fingerprint)
        return _prints(self.steps)

    def build(self, plan: ObjectPlan) -> Built:
        text, walk = self.root(plan)
        return Built(text, walk, frozenset(self.stores), tuple(self.steps))

    def root(self, plan: ObjectPlan) -> tuple[str, Walk]:
        walk = Walk()
        principal = getattr(self.executor.context_value, "principal", None)
        policy = self.planner.policy
        pairs = []
        for field_plan in plan.fields:
            operation = field_plan.definition.extensions.get(OPERATION)
            if field_plan.read is Read.TYPENAME:
                pairs.append(f"{_literal(field_plan.key)}, {_literal(plan.type.name)}")
                continue
            if (
                operation is not None
                and policy is not None
                and (principal is None or not policy.allows(operation, principal.roles))
            ):
                raise Uncompilable("a root field the roles may not call")
            pairs.append(f"{_literal(field_plan.key)}, {self.field(field_plan, None, '', walk)}")
        if len(pairs) > MAX_PAIRS:
            raise Uncompilable("too many fields in one object")
        return f"SELECT json_build_object({', '.join(pairs)})::text", walk

    def object(self, plan: ObjectPlan, table: Table | None, alias: str) -> tuple[str, Walk]:
        walk = Walk()
        pairs = []
        for field_plan in plan.fields:
            pairs.append(f"{_literal(field_plan.key)}, {self.field(field_plan, table, alias, walk)}")
        if walk.audited:
            if table is None or table.owner is None:
                raise Uncompilable(f"audited fields of {plan.type.name}, whose owner no column names")
            pairs.append(f"{_literal(OWNER_KEY)}, ({alias}.{table.owner})::text")
        if walk.typed:
            if table is None:
                raise Uncompilable(f"identifier values of {plan.type.name}, whose type no column names")
            pairs.append(f"{_literal(TYPE_KEY)}, {alias}.{table.column('type')}")
        if len(pairs) > MAX_PAIRS:
            raise Uncompilable("too many fields in one object")
        return f"json_build_object({', '.join(pairs)})", walk

    def field(self, plan: FieldPlan, table: Table | None, alias: str, walk: Walk) -> str:
        if plan.read is Read.TYPENAME:
            return _literal(plan.parent_type.name)
        if plan.guard is not None:
            self.guarded(plan, walk)
        form = _form(plan)
        if form is None:
            if plan.read is Read.ATTR and plan.type.kind is Kind.LEAF and table is not None:
                return self.leaf(plan, f"{alias}.{table.column(plan.attribute)}")
            raise Uncompilable(f"{plan.parent_type.name}.{plan.name} has no SQL form")
        if isinstance(form, Value):
            self.stores.add(form.store)
            at = alias
            lateral = form.lateral
            if lateral is not None:
                joined = self.laterals.setdefault(alias, {})
                at = f"{alias}_{lateral.name}"
                if at not in joined:
                    source = self.step(lambda st, _: lateral.source(st.sql, alias))
                    joined[at] = f" CROSS JOIN LATERAL {source} {at}"
            expression: str = self.step(lambda st, _: form.expression(st.sql, at))
            if form.finish is None:
                return self.leaf(plan, expression)
            if plan.guard is not None or plan.type.kind is not Kind.LEAF:
                raise Uncompilable(f"{plan.parent_type.name}.{plan.name} is finished in Python and guarded")
            walk.finished.append((plan.key, partial(_finish_value, form.finish), plan.nodes))
            return expression if plan.type.nullable else _not_null(expression)
        if plan.has_arguments and uses_variables(plan.nodes[0]):
            rows: Rows = self.step(lambda st, _: form(st.sql, alias, st.arguments(plan)), _rows_print)
        else:  # no variable in them: the same arguments for every request of the plan
            arguments = self.arguments(plan)
            rows = self.step(lambda st, _: form(st.sql, alias, arguments), _rows_print)
        return self.rows(plan, rows, len(self.results) - 1, walk)

    def guarded(self, plan: FieldPlan, walk: Walk) -> None:
        """The policy's decision on a classified field: shown (and audited), masked in Python after the statement
        (strings only: a masked value of another type is an error the plan reports), or never compiled."""
        guard = plan.guard
        assert guard is not None
        if guard.data_class != "identifier":
            self.decided(plan, walk, guard.data_class, guard.mask, plan.decision)
            return
        policy = self.planner.policy
        assert policy is not None
        principal = getattr(self.executor.context_value, "principal", None)
        classes: dict[str, str] = {}
        masks: dict[str, str] = {}
        for kind in IdentifierType:
            data_class, how, decision = guard.decide(policy, principal, _Typed(kind))
            if decision is Decision.DENY:
                raise Uncompilable("a field the policy withholds, or decides per value")
            if decision is Decision.MASK:
                masks[kind.value] = how
            elif data_class in policy.audited:
                classes[kind.value] = data_class
        if classes:
            walk.audited.append((plan.key, classes))
        if masks:
            walk.finished.append((plan.key, partial(_mask_by_type, masks), plan.nodes))
        walk.typed = walk.typed or bool(classes or masks)

    def decided(
        self, plan: FieldPlan, walk: Walk, data_class: str, how: str, decision: Decision | None
    ) -> None:
        if decision is Decision.ALLOW:
            if plan.audited:
                walk.audited.append((plan.key, data_class))
        elif decision is Decision.MASK and plan.type.kind is Kind.LEAF:
            string = get_named_type(plan.definition.type).name == "String"
            walk.finished.append((plan.key, partial(_masked, how, string), plan.nodes))
        else:
            raise Uncompilable("a field the policy withholds, or decides per value")

    def leaf(self, plan: FieldPlan, expression: str) -> str:
        if plan.type.kind is not Kind.LEAF:
            raise Uncompilable(f"{plan.parent_type.name}.{plan.name} is not a leaf")
        leaf = get_named_type(plan.definition.type)
        assert isinstance(leaf, GraphQLLeafType)
        shown = leaf_sql(leaf, expression)
        if shown is None:
            raise Uncompilable(f"no SQL format for {leaf.name}")
        return shown if plan.type.nullable else _not_null(shown)

    def rows(self, plan: FieldPlan, rows: Rows, step: int, walk: Walk) -> str:
        self.stores.add(rows.store)
        alias = self.sql.alias()
        type_plan = plan.type
        many = False
        if rows.shape is Shape.PAGE:
            connection = type_plan.object
            if type_plan.kind is not Kind.OBJECT or connection is None:
                raise Uncompilable(f"{plan.name} is not a connection")
            text, below = self.page(connection, rows, step, alias)
        elif rows.shape is Shape.LIST:
            item = _object_items(type_plan)
            shown, below = self.object(item, self.table(item), alias)
            text = f"(SELECT coalesce(json_agg({shown} ORDER BY {rows.order(alias)}), '[]') FROM {rows.source} {alias}{self.joins(alias)})"
            many = True
        else:
            if type_plan.kind is not Kind.OBJECT or type_plan.object is None:
                raise Uncompilable(f"{plan.name} is not an object")
            shown, below = self.object(type_plan.object, self.table(type_plan.object), alias)
            text = f"(SELECT {shown} FROM {rows.source} {alias}{self.joins(alias)} LIMIT 1)"
            if not type_plan.nullable:
                text = f"coalesce({text}, ('no row')::int::text::json)"
        if below:
            walk.children.append((plan.key, below, many))
        return text

    def joins(self, alias: str) -> str:
        """The ``LATERAL`` joins the objects of the rows ``alias`` names need (built with them, so call after)."""
        return "".join(self.laterals.get(alias, {}).values())

    def table(self, plan: ObjectPlan) -> Table:
        definition = plan.type.extensions.get(STRAWBERRY)
        table = table_of(getattr(definition, "origin", None))
        if table is None:
            raise Uncompilable(f"{plan.type.name} is not declared rows of a table")
        self.stores.add(table.store)
        return table

    def page(self, connection: ObjectPlan, rows: Rows, step: int, alias: str) -> tuple[str, Walk]:
        """A Relay connection: its page's rows numbered in order (``n``) and counted (``m``; one more than the page
        tells that more follow). ``step`` is the step that gave ``rows``."""
        if rows.cursor is None:
            raise Uncompilable("a connection without cursors")
        walk = Walk()
        inner = self.sql.alias()
        numbered = (
            f"(SELECT {inner}.*, row_number() OVER (ORDER BY {rows.order(inner)}) AS c360_n,"
            f" count(*) OVER () AS c360_m FROM {rows.source} {inner})"
        )
        in_page = f"{alias}.c360_n <= {rows.page}"
        cursor = rows.cursor(alias)
        pairs = []
        for field_plan in connection.fields:
            key = _literal(field_plan.key)
            if field_plan.read is Read.TYPENAME:
                pairs.append(f"{key}, {_literal(connection.type.name)}")
            elif field_plan.name == "nodes":
                item = _object_items(field_plan.type)
                shown, below = self.object(item, self.table(item), alias)
                pairs.append(
                    f"{key}, coalesce(json_agg({shown} ORDER BY {alias}.c360_n) FILTER (WHERE {in_page}), '[]')"
                )
                if below:
                    walk.children.append((field_plan.key, below, True))
            elif field_plan.name == "edges":
                pairs.append(f"{key}, {self.edges(field_plan, alias, in_page, cursor, walk)}")
            elif field_plan.name == "pageInfo" and field_plan.type.object is not None:
                pairs.append(f"{key}, {self.page_info(field_plan.type.object, rows, alias, cursor)}")
            elif field_plan.name == "totalCount" and rows.total is not None and field_plan.guard is None:
                pairs.append(f"{key}, {self.step(lambda st, results: results[step].total())}")
            else:
                raise Uncompilable(f"{connection.type.name}.{field_plan.name} has no SQL form")
        # One row even for an empty page, whichever fields it selects (GROUP BY () makes it an aggregate).
        text = f"(SELECT json_build_object({', '.join(pairs)}) FROM {numbered} {alias}{self.joins(alias)} GROUP BY ())"
        return text, walk

    def edges(self, plan: FieldPlan, alias: str, in_page: str, cursor: str, walk: Walk) -> str:
        edge = _object_items(plan.type)
        pairs = []
        edge_walk = Walk()
        for field_plan in edge.fields:
            key = _literal(field_plan.key)
            if field_plan.read is Read.TYPENAME:
                pairs.append(f"{key}, {_literal(edge.type.name)}")
            elif field_plan.name == "cursor":
                pairs.append(f"{key}, {cursor}")
            elif field_plan.name == "node" and field_plan.type.object is not None:
                node = field_plan.type.object
                shown, below = self.object(node, self.table(node), alias)
                pairs.append(f"{key}, {shown}")
                if below:
                    edge_walk.children.append((field_plan.key, below, False))
            else:
                raise Uncompilable(f"{edge.type.name}.{field_plan.name} has no SQL form")
        if edge_walk:
            walk.children.append((plan.key, edge_walk, True))
        shown = f"json_build_object({', '.join(pairs)})"
        return f"coalesce(json_agg({shown} ORDER BY {alias}.c360_n) FILTER (WHERE {in_page}), '[]')"

    def page_info(self, info: ObjectPlan, rows: Rows, alias: str, cursor: str) -> str:
        last = f"least({alias}.c360_m, {rows.page})"
        values = {
            "hasNextPage": f"count(*) > {rows.page}",
            "hasPreviousPage": "true" if rows.has_previous else "false",
            "startCursor": f"min({cursor}) FILTER (WHERE {alias}.c360_n = 1 AND {rows.page} > 0)",
            "endCursor": f"min({cursor}) FILTER (WHERE {alias}.c360_n = {last} AND {rows.page} > 0)",
        }
        pairs = []
        for field_plan in info.fields:
            key = _literal(field_plan.key)
            if field_plan.read is Read.TYPENAME:
                pairs.append(f"{key}, {_literal(info.type.name)}")
            elif field_plan.name in values:
                pairs.append(f"{key}, {values[field_plan.name]}")
            else:
                raise Uncompilable(f"PageInfo.{field_plan.name} has no SQL form")
        return f"json_build_object({', '.join(pairs)})"

    def arguments(self, plan: FieldPlan) -> dict[str, Any]:
        definition = _strawberry_field(plan)
        if not plan.definition.args:
            return {}
        values = get_argument_values(plan.definition, plan.nodes[0], self.executor.variable_values)
        if not isinstance(definition, StrawberryField):
            raise Uncompilable(f"{plan.name}: arguments without their strawberry field")
        return convert_arguments(values, definition.arguments, self.planner.scalars, self.planner.config)


def _strawberry_field(plan: FieldPlan) -> Any:
    return plan.strawberry_field or plan.definition.extensions.get(STRAWBERRY)


def _form(plan: FieldPlan) -> Any:
    metadata = getattr(_strawberry_field(plan), "metadata", None)
    return metadata.get(SQL_KEY) if metadata else None


def _object_items(type_plan: TypePlan) -> ObjectPlan:
    if type_plan.kind is not Kind.LIST or type_plan.item is None or type_plan.item.object is None:
        raise Uncompilable("a list of objects was expected")
    if type_plan.item.kind is not Kind.OBJECT:
        raise Uncompilable("a list of lists or of abstract types")
    return type_plan.item.object


def _mask_by_type(masks: Mapping[str, str], value: Any, kind: str | None, _: Any) -> Any:
    how = masks.get(kind) if kind is not None else None
    return value if how is None else masked(value, how)


def _finish_value(finish: Callable[[Any, Any], Any], value: Any, _: str | None, context: Any) -> Any:
    return finish(context, value)


def _masked(how: str, string: bool, value: Any, _: str | None, __: Any) -> Any:
    """A masked value of a field: a string masked, any other non-null value refused as the guard refuses it (the
    statement shows dates and numbers as text, which ``masked`` would mask)."""
    return masked(value if string or value is None else _NOT_TEXT, how)


_NOT_TEXT = object()
"""What a masked date, number or enum is to ``masked``: a value that is not a string."""


def finish(
    walk: Walk,
    value: Any,
    path: Path | None,
    read: Callable[[str, Any, Path], None] | None,
    fail: Fail,
    context: Any,
) -> None:
    """Finish ``value`` (an object of the answer) as the field guards and resolvers would have shown it: mask and
    finish its values (a value the mask refuses is null with its error, kept by ``fail``), note its audited values
    (with ``read``, the request's audit) and take its hidden keys out."""
    if not isinstance(value, dict):
        return
    owner = value.pop(OWNER_KEY, None)
    kind = value.pop(TYPE_KEY, None) if walk.typed else None
    if read is not None:
        for key, classes in walk.audited:
            if value.get(key) is not None:
                data_class = classes if isinstance(classes, str) else classes.get(kind or "")
                if data_class is not None:
                    read(data_class, owner, Path(path, key, None))
    for key, shown, nodes in walk.finished:
        try:
            value[key] = shown(value.get(key), kind, context)
        except Forbidden as refused:
            value[key] = None
            at = Path(path, key, None)
            fail(located_error(refused, nodes, at.as_list()), at)
    for key, child, many in walk.children:
        below = value.get(key)
        at = Path(path, key, None)
        if many:
            for index, item in enumerate(below or ()):
                finish(child, item, Path(at, index, None), read, fail, context)
        else:
            finish(child, below, at, read, fail, context)


def uncompilable(executor: PlannedExecutor, plan: Plan) -> str | None:
    """Why the plan can never run as one statement, or ``None`` when it may: decided once per plan, synchronously
    (a plan that is not compiled runs as before, without a coroutine, so synchronous execution still works)."""
    context = executor.context_value
    if getattr(context, "scope", None) is None or getattr(context, "sources", None) is None:
        return "no row scope or sources in the context"
    try:
        Statement(executor, Sql(EVERYTHING, context)).root(plan.root)
    except Uncompilable as reason:
        return str(reason)
    except Exception:
        pass
    return None


async def run_compiled(executor: PlannedExecutor, plan: Plan) -> dict[str, Any]:
    """The answer's ``data`` from one statement; raises :class:`Uncompilable`, ``NotCompiled`` or the statement's
    error, and the caller runs the plan instead."""
    context = executor.context_value
    scope = getattr(context, "scope", None)
    sources = getattr(context, "sources", None)
    if scope is None or sources is None:
        raise Uncompilable("no row scope or sources in the context")
    visible = await scope.visible()
    statement, built = _statement(executor, plan, visible)
    databases = {id(sources.postgres.db(store).pool) for store in built.stores if store}
    if len(databases) != 1:
        raise Uncompilable("stores in several databases" if databases else "no store")
    db = sources.postgres.db(next(iter(s for s in built.stores if s)))
    answer = await db.fetchval(built.text, *statement.sql.args)
    data: dict[str, Any] = orjson.loads(answer)
    walk = built.walk
    if walk:
        notes = getattr(context, "audit", None)
        read = notes.read if notes is not None else None
        finish(walk, data, None, read, executor.collected_errors.add, context)
    return data


def _statement(executor: PlannedExecutor, plan: Plan, visible: Visible) -> tuple[Statement, Built]:
    """This request's statement: the one the plan keeps under the fingerprints its steps give for this request
    (its parameters then bound), or a new one, kept."""
    context = executor.context_value
    kept: dict[tuple[object, ...], Built] = plan.statements
    if kept:
        statement = Statement(executor, Sql(visible, context))
        prints = statement.replay(next(reversed(kept.values())))
        found = kept.pop(prints, None)
        if found is not None:
            kept[prints] = found  # the most recently used last
            count_statement("reused")
            return statement, found
    statement = Statement(executor, Sql(visible, context))
    built = statement.build(plan.root)
    count_statement("built")
    kept[built.prints] = built
    while len(kept) > KEPT:
        del kept[next(iter(kept))]
    return statement, built


__all__ = [
    "OWNER_KEY",
    "NotCompiled",
    "Uncompilable",
    "finish",
    "instant",
    "leaf_sql",
    "run_compiled",
    "uncompilable",
]

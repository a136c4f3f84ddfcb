"""Builds ``Customer``, ``Account``, ``Query`` and ``Mutation`` from the subgraphs' mixins, for the unified schema
and for each subgraph.

Subgraphs point at ``Customer`` and ``Account`` through ``subgraphs.kit.entities.CustomerRef`` and ``AccountRef``; the
schema registers the full types first, so every reference by those names resolves to them (same-name validation
is off for exactly this reason, and ``tests/schema`` checks that no other type name is shared).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import strawberry
from graphql import print_schema
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.tracing.apollo_federation import ApolloFederationTracingExtension
from strawberry.schema.config import StrawberryConfig

from core import registry
from core.ids import parse_uuid
from core.policy import Policy
from core.settings import Settings
from schema.execution.hook import PlannedExecutor, install
from schema.execution.plan import Planner
from schema.extensions import QuietErrors, extensions
from schema.policies import declare_for_gateways, guard_fields, guard_operations
from subgraphs.kit.context import Info
from subgraphs.kit.entities import AccountRef, CustomerRef
from subgraphs.kit.part import SubgraphPart


def _part(name: str) -> SubgraphPart:
    part: SubgraphPart = importlib.import_module(f"subgraphs.{name}").PART
    assert part.name == name, f"subgraphs.{name} declares the part {part.name!r}"
    return part


PARTS: dict[str, SubgraphPart] = {name: _part(name) for name in registry.NAMES}
"""Each registered subgraph's GraphQL part, in registry order (``core.registry`` is the one list)."""
FEDERATION_VERSION: Final = "2.7"
CUSTOMER_DESCRIPTION = "A customer: one person, however many systems know them."
ACCOUNT_DESCRIPTION = "A company customers work at, within its group's hierarchy."


class UnifiedSchema(QuietErrors, strawberry.Schema):
    """The one-process API. Types shared by every subgraph (``PageInfo``) carry ``@shareable`` for federation; here
    the directive's definition is dropped and the SDL is printed by graphql-core, which prints no applied
    directives, so neither introspection nor SDL shows federation."""

    FEDERATION_ONLY: Final = frozenset({"shareable", "authenticated", "policy", "requiresScopes"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._schema.directives = tuple(
            d for d in self._schema.directives if d.name not in self.FEDERATION_ONLY
        )

    def as_str(self) -> str:
        return print_schema(self._schema)

    __str__ = as_str


class SubgraphSchema(QuietErrors, strawberry.federation.Schema):
    pass


def _customer_type(parts: Sequence[SubgraphPart], federated: bool) -> type:
    namespace: dict[str, Any] = {"__doc__": CUSTOMER_DESCRIPTION}
    if federated:

        async def resolve_reference(cls: type, info: Info, id: strawberry.ID) -> Any:
            ref = await info.context.customer(parse_uuid(id))
            if ref is None:
                return None
            # `_entities` is a union, resolved by the runtime class: hand back this schema's Customer, not the ref.
            entity: Any = object.__new__(cls)
            entity.__dict__.update(id=ref.id, profile=ref.profile)
            return entity

        namespace["resolve_reference"] = classmethod(resolve_reference)
    bases = (CustomerRef, *(part.customer_fields for part in parts))
    cls = type("Customer", bases, namespace)
    if federated:
        return strawberry.federation.type(keys=["id"], name="Customer", description=CUSTOMER_DESCRIPTION)(cls)
    return strawberry.type(name="Customer", description=CUSTOMER_DESCRIPTION)(cls)


def _account_type(parts: Sequence[SubgraphPart], federated: bool) -> type | None:
    mixins = [
        m for part in parts for m in (part.federated_account_fields if federated else part.account_fields)
    ]
    if not mixins:
        return None
    namespace: dict[str, Any] = {"__doc__": ACCOUNT_DESCRIPTION}
    if federated:
        load = next((part.load_account for part in parts if part.load_account is not None), None)

        async def resolve_reference(cls: type, /, info: Info, id: strawberry.ID, **extra: Any) -> Any:
            node = None
            if load is not None:
                ref = await load(info.context, parse_uuid(id, "account id"))
                if ref is None:
                    return None
                node = ref.node
            entity: Any = object.__new__(cls)
            required = extra.get("rollupCustomerIds")
            entity.__dict__.update(
                id=id, node=node, rollup_ids=list(required) if required is not None else None
            )
            return entity

        namespace["resolve_reference"] = classmethod(resolve_reference)
    cls = type("Account", (AccountRef, *mixins), namespace)
    if federated:
        return strawberry.federation.type(keys=["id"], name="Account", description=ACCOUNT_DESCRIPTION)(cls)
    return strawberry.type(name="Account", description=ACCOUNT_DESCRIPTION)(cls)


def _types(parts: Sequence[SubgraphPart], federated: bool) -> list[type]:
    account = _account_type(parts, federated)
    return [_customer_type(parts, federated), *([account] if account is not None else [])]


def _query_type(parts: Sequence[SubgraphPart]) -> type:
    return strawberry.type(name="Query", description="Read the customer 360.")(
        type("Query", tuple(part.query for part in parts), {})
    )


def _mutation_type(parts: Sequence[SubgraphPart]) -> type | None:
    mutations = tuple(part.mutation for part in parts if part.mutation is not None)
    if not mutations:
        return None
    return strawberry.type(name="Mutation", description="Change the customer 360.")(
        type("Mutation", mutations, {})
    )


def _subscription_type(parts: Sequence[SubgraphPart]) -> type | None:
    subscriptions = tuple(part.subscription for part in parts if part.subscription is not None)
    if not subscriptions:
        return None
    return strawberry.type(
        name="Subscription", description="Hear the customer 360 change (graphql-transport-ws)."
    )(type("Subscription", subscriptions, {}))


def _apply(schema: strawberry.Schema, settings: Settings) -> None:
    """The access policy, applied once to the built schema (``schema/policies.py``), and the planner that takes its
    decisions when it plans a query (``schema/execution``)."""
    policy = Policy.load(settings.policy_file)
    guard_operations(schema._schema, policy)
    guard_fields(schema._schema, policy)
    if settings.planned_execution:
        planner = Planner(
            schema._schema,
            policy,
            schema.schema_converter.scalar_registry,
            schema.config,
            schema.config.info_class,
        )
        install(schema._schema, planner, compile=settings.compiled_sql)


def _config(settings: Settings) -> StrawberryConfig:
    # Queries run their plans (``schema/execution``) through this executor class; the rest is graphql-core's.
    # Field suggestions ("Did you mean 'createAccount'?") name fields and mutations a caller may not know of.
    return StrawberryConfig(
        _unsafe_disable_same_type_validation=True, disable_field_suggestions=not settings.development
    )


def refuses_introspection(settings: Settings, principal: Any) -> bool:
    """Whether introspection is refused to this caller: the profile refuses it, and the caller holds none of the
    introspection roles (production: developers and administrators)."""
    if settings.introspection_enabled:
        return False
    return principal is None or principal.roles.isdisjoint(settings.introspection_roles)


class IntrospectionForRoles(SchemaExtension):
    """Refuses introspection to callers :func:`refuses_introspection` names.

    The rule is graphql-core's own class, the same on every request, so the validation cache keeps one entry per
    document with it and one without."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_operation(self) -> Iterator[None]:
        principal = getattr(self.execution_context.context, "principal", None)
        if refuses_introspection(self.settings, principal):
            rules = self.execution_context.validation_rules
            self.execution_context.validation_rules = (*rules, NoSchemaIntrospectionCustomRule)
        yield


def _extensions(settings: Settings) -> list[Any]:
    """The shared chain, plus refusing introspection to all but the introspection roles where the profile says so."""
    chain: list[Any] = extensions(settings)
    if not settings.introspection_enabled:
        chain.append(lambda: IntrospectionForRoles(settings))
    return chain


def unified_schema(settings: Settings) -> strawberry.Schema:
    parts = list(PARTS.values())
    with warnings.catch_warnings():
        # Strawberry warns about `@shareable` outside a federation schema; here it is inert (see UnifiedSchema).
        warnings.filterwarnings("ignore", "Federation directive found in schema", UserWarning)
        schema = UnifiedSchema(
            execution_context_class=PlannedExecutor,
            query=_query_type(parts),
            mutation=_mutation_type(parts),
            subscription=_subscription_type(parts),
            types=_types(parts, federated=False),
            extensions=_extensions(settings),
            config=_config(settings),
        )
    _apply(schema, settings)
    return schema


def federated_schema(
    query: type,
    settings: Settings,
    *,
    mutation: type | None = None,
    subscription: type | None = None,
    types: Sequence[type] = (),
    traced: bool = False,
    federation_version: str = FEDERATION_VERSION,
    schema_directives: Sequence[object] = (),
) -> strawberry.federation.Schema:
    """Every federation subgraph is built here, with the same limits and error masking as the unified schema.

    ``traced`` adds federated tracing (ftv1); endpoints build a traced twin and use it only when a gateway asks.
    """
    return SubgraphSchema(
        execution_context_class=PlannedExecutor,
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=list(types),
        extensions=[*_extensions(settings), *([ApolloFederationTracingExtension] if traced else [])],
        config=_config(settings),
        federation_version=federation_version,  # type: ignore[arg-type]
        schema_directives=list(schema_directives),
    )


_DECLARED: set[Path] = set()


def _declare_for_gateways(settings: Settings) -> None:
    """Once per policy file: federation's access directives on every subgraph's definitions, before any subgraph
    schema that prints them is built (a schema reads its fields' directives when it is built)."""
    if settings.policy_file in _DECLARED:
        return
    policy = Policy.load(settings.policy_file)
    for part in PARTS.values():
        probe = federated_schema(
            _query_type([part]),
            settings,
            mutation=_mutation_type([part]),
            subscription=_subscription_type([part]),
            types=_types([part], federated=True),
        )
        declare_for_gateways(probe._schema, policy)
    _DECLARED.add(settings.policy_file)


def subgraph_schema(name: str, settings: Settings, traced: bool = False) -> strawberry.federation.Schema:
    part = PARTS[name]
    _declare_for_gateways(settings)
    schema = federated_schema(
        _query_type([part]),
        settings,
        mutation=_mutation_type([part]),
        subscription=_subscription_type([part]),
        types=_types([part], federated=True),
        traced=traced,
    )
    _apply(schema, settings)
    return schema

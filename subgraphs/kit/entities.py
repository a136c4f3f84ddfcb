"""The runtime values behind ``Customer`` and ``Account`` in every schema, and the GraphQL types subgraphs point at.

Fields a subgraph adds to ``Customer`` are nullable: when that subgraph's store is down, the field is null with a
``DATA_SOURCE_UNAVAILABLE`` error and the rest of the customer still answers.

Subgraphs declare edges to ``Customer`` with :class:`CustomerRef` (and to ``Account`` with :class:`AccountRef`);
each schema's real type is built in ``schema/`` from the subgraphs' field mixins and registered first, so the
name resolves to it.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar, cast

import strawberry

from subgraphs.kit.classes import classified, owned_by
from subgraphs.kit.compiled import rows_of


@rows_of("profiles.customers", "profiles", "id")
@classified("public")
@owned_by("id")
@strawberry.type(name="Customer", description="A customer: one person, however many systems know them.")
class CustomerRef:
    id: strawberry.ID = strawberry.field(description="Persistent customer id (a UUID).")
    profile: strawberry.Private[Mapping[str, Any] | None] = None

    def __getattr__(self, name: str) -> Any:
        # Profile fields read straight from the loaded golden record: no resolver call per field.
        profile = self.__dict__.get("profile")
        if profile is None:
            raise AttributeError(name)
        try:
            return profile[name]
        except KeyError:
            raise AttributeError(name) from None


@classified("public")
@strawberry.type(name="Account", description="A company customers work at, within its group's hierarchy.")
class AccountRef:
    id: strawberry.ID = strawberry.field(description="Persistent account id (a UUID).")
    node: strawberry.Private[Any] = None
    """The loaded account (``graph_store.relationships.accounts.AccountNode``); fields read from it."""
    rollup_ids: strawberry.Private[list[str] | None] = None
    """Customers the roll-ups sum over, when a federation gateway already supplied them (``@requires``)."""

    def __getattr__(self, name: str) -> Any:
        node = self.__dict__.get("node")
        if node is None:
            raise AttributeError(name)
        return getattr(node, name)


T = TypeVar("T")


@functools.cache
def _builder(cls: Any) -> Callable[[Mapping[str, Any]], Any]:
    """How rows become ``cls``: the fields' values read in one call and set as the instance's attributes. That is
    what the dataclass's ``__init__`` does for a class whose fields are all its arguments, without ``__post_init__``
    or slots, at half its cost (a page of a list builds hundreds); any other class goes through ``__init__``."""
    fields = dataclasses.fields(cls)
    names = tuple(f.name for f in fields if f.init)
    plain = (
        len(names) == len(fields) > 1 and not hasattr(cls, "__post_init__") and not hasattr(cls, "__slots__")
    )
    if not plain:
        return lambda row: cls(**{name: row[name] for name in names})
    values = operator.itemgetter(*names)
    new = object.__new__

    def build(row: Mapping[str, Any]) -> Any:
        instance = new(cls)
        instance.__dict__ = dict(zip(names, values(row), strict=True))
        return instance

    return build


def from_row(cls: type[T], row: Mapping[str, Any]) -> T:
    """A strawberry type built from a database row whose columns carry its field names."""
    built: T = _builder(cast("Hashable", cls))(row)
    return built

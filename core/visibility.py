"""Which rows a request may see: the customers and accounts of a caller limited to accounts, and the business
units of one limited to units.

Repositories apply it in their own SQL or Cypher (``id = ANY($n)``, ``x.id IN $customers``), so a root field, a
nested edge, a federation entity, a filter and a count all see the same rows, and a row out of scope is exactly a
row that does not exist. :data:`EVERYTHING` limits no customer, account or unit.

Rows an erasure kept for accounting (orders and tickets marked ``restricted``, under a pseudonym) are out of scope
for every caller but those whose roles the policy lets see them (``[restricted]`` of the policy file): for the
others they are rows that do not exist, in lists, counts and writes alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Visible:
    customers: frozenset[str] | None = None
    """Customers the caller may see; ``None``: every customer."""
    accounts: frozenset[str] | None = None
    """Accounts the caller may see; ``None``: every account."""
    business_units: frozenset[str] | None = None
    """Business units whose orders, tickets and interactions the caller may see; ``None``: every unit."""
    restricted: bool = False
    """Whether the caller sees rows an erasure restricted (``restricted`` orders and tickets)."""
    customer_list: list[str] | None = field(init=False, repr=False, compare=False)
    """The same as sorted lists, the form statement parameters take (built once)."""
    account_list: list[str] | None = field(init=False, repr=False, compare=False)
    unit_list: list[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name, value in (
            ("customer_list", self.customers),
            ("account_list", self.accounts),
            ("unit_list", self.business_units),
        ):
            object.__setattr__(self, name, sorted(value) if value is not None else None)

    @property
    def everything(self) -> bool:
        """Whether this is :data:`EVERYTHING` (a statement then runs with its default scope)."""
        return (
            self.customers is None
            and self.accounts is None
            and self.business_units is None
            and not self.restricted
        )

    def sees_customer(self, customer_id: str) -> bool:
        return self.customers is None or customer_id in self.customers

    def sees_account(self, account_id: str) -> bool:
        return self.accounts is None or account_id in self.accounts

    def customers_among(self, ids: Iterable[str]) -> list[str]:
        """The ids of ``ids`` the caller may see, in order."""
        return list(ids) if self.customers is None else [i for i in ids if i in self.customers]

    def accounts_among(self, ids: Iterable[str]) -> list[str]:
        return list(ids) if self.accounts is None else [i for i in ids if i in self.accounts]

    def clauses(
        self,
        param: Callable[[object], str],
        *,
        customer: str | None = None,
        unit: str | None = None,
        restricted: str | None = None,
    ) -> list[str]:
        """SQL conditions on the ``customer`` (uuid), ``unit`` (text) and ``restricted`` (boolean) columns named;
        none when not limited. ``param`` binds a value and returns its placeholder."""
        found = []
        if customer is not None and self.customer_list is not None:
            found.append(f"{customer} = ANY({param(self.customer_list)}::uuid[])")
        if unit is not None and self.unit_list is not None:
            found.append(f"{unit} = ANY({param(self.unit_list)}::text[])")
        if restricted is not None and not self.restricted:
            found.append(f"NOT {restricted}")
        return found

    def sql(
        self,
        args: list[object],
        *,
        customer: str | None = None,
        unit: str | None = None,
        restricted: str | None = None,
    ) -> str:
        """The same as ``AND …`` to append to a statement whose parameters are ``args`` (extended here)."""

        def param(value: object) -> str:
            args.append(value)
            return f"${len(args)}"

        return "".join(
            f" AND {c}" for c in self.clauses(param, customer=customer, unit=unit, restricted=restricted)
        )


EVERYTHING = Visible()
"""Every customer, account and unit; rows an erasure restricted stay out of sight."""

"""The `products` subgraph of Apollo's subgraph compatibility suite, built with this project's federation factory.

Its schema and data set are the suite's (its COMPATIBILITY documentation); only the tests use it. The data is the
fixed set the suite expects, held in memory because the suite checks the federation protocol, not storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.schema_directive import Location

from core.settings import Settings
from schema.factory import federated_schema


@strawberry.federation.schema_directive(
    locations=[Location.OBJECT],
    name="custom",
    compose=True,
    import_url="https://myspecs.dev/myCustomDirective/v1.0",
)
class Custom:
    pass


@dataclass(frozen=True)
class UserRow:
    email: str
    name: str
    total_products_created: int
    years_of_employment: int


JANE = UserRow("support@apollographql.com", "Jane Smith", 1337, 10)


@strawberry.federation.type(keys=["email"], extend=True)
class User:
    """``extend type``, as in the suite's schema: the key field is ``@external`` yet resolvable here."""

    email: strawberry.ID = strawberry.federation.field(external=True)
    name: str | None = strawberry.federation.field(override="users")
    total_products_created: int | None = strawberry.federation.field(external=True)
    years_of_employment: int = strawberry.federation.field(external=True)

    @strawberry.federation.field(requires=["totalProductsCreated", "yearsOfEmployment"])
    def average_products_created_per_year(self) -> int | None:
        if not self.total_products_created:
            return None
        return round(self.total_products_created / self.years_of_employment)

    @classmethod
    def resolve_reference(cls, **representation: Any) -> User | None:
        if representation.get("email") != JANE.email:
            return None
        return cls(
            email=strawberry.ID(JANE.email),
            name=JANE.name,
            total_products_created=representation.get("totalProductsCreated", JANE.total_products_created),
            years_of_employment=representation.get("yearsOfEmployment", JANE.years_of_employment),
        )

    @classmethod
    def jane(cls) -> User:
        return cls(
            email=strawberry.ID(JANE.email),
            name=JANE.name,
            total_products_created=JANE.total_products_created,
            years_of_employment=JANE.years_of_employment,
        )


@strawberry.federation.type(shareable=True)
class ProductDimension:
    size: str | None
    weight: float | None
    unit: str | None = strawberry.federation.field(inaccessible=True)


def _dimension() -> ProductDimension:
    return ProductDimension(size="small", weight=1.0, unit="kg")


@strawberry.type
class ProductVariation:
    id: strawberry.ID


@strawberry.type
class CaseStudy:
    case_number: strawberry.ID
    description: str | None


STUDIES = {"1234": "Federation Study", "1235": "Studio Study"}


@strawberry.federation.type(keys=["study { caseNumber }"])
class ProductResearch:
    study: CaseStudy
    outcome: str | None

    @classmethod
    def of(cls, case_number: str) -> ProductResearch:
        return cls(
            study=CaseStudy(case_number=strawberry.ID(case_number), description=STUDIES[case_number]),
            outcome=None,
        )

    @classmethod
    def resolve_reference(cls, **representation: Any) -> ProductResearch | None:
        case = str((representation.get("study") or {}).get("caseNumber"))
        return cls.of(case) if case in STUDIES else None


@strawberry.federation.type(keys=["sku package"])
class DeprecatedProduct:
    sku: str
    package: str
    reason: str | None
    created_by: User | None

    @classmethod
    def the_one(cls) -> DeprecatedProduct:
        return cls(
            sku="apollo-federation-v1",
            package="@apollo/federation-v1",
            reason="Migrate to Federation V2",
            created_by=User.jane(),
        )

    @classmethod
    def find(cls, sku: str | None, package: str | None) -> DeprecatedProduct | None:
        product = cls.the_one()
        return product if (sku, package) == (product.sku, product.package) else None

    @classmethod
    def resolve_reference(cls, **representation: Any) -> DeprecatedProduct | None:
        return cls.find(representation.get("sku"), representation.get("package"))


@dataclass(frozen=True)
class ProductRow:
    id: str
    sku: str
    package: str
    variation: str
    case_number: str


PRODUCTS = (
    ProductRow("apollo-federation", "federation", "@apollo/federation", "OSS", "1234"),
    ProductRow("apollo-studio", "studio", "", "platform", "1235"),
)


@strawberry.federation.type(keys=["id", "sku package", "sku variation { id }"], directives=[Custom()])
class Product:
    id: strawberry.ID
    sku: str | None
    package: str | None
    variation: ProductVariation | None
    dimensions: ProductDimension | None
    research: list[ProductResearch]
    notes: str | None = strawberry.federation.field(tags=["internal"], default=None)

    @strawberry.federation.field(provides=["totalProductsCreated"])
    def created_by(self) -> User | None:
        return User.jane()

    @classmethod
    def of(cls, row: ProductRow) -> Product:
        return cls(
            id=strawberry.ID(row.id),
            sku=row.sku,
            package=row.package,
            variation=ProductVariation(id=strawberry.ID(row.variation)),
            dimensions=_dimension(),
            research=[ProductResearch.of(row.case_number)],
        )

    @classmethod
    def resolve_reference(cls, **representation: Any) -> Product | None:
        variation = (representation.get("variation") or {}).get("id")
        for row in PRODUCTS:
            if (
                representation.get("id") == row.id
                or (
                    "package" in representation
                    and (representation.get("sku"), representation["package"]) == (row.sku, row.package)
                )
                or (
                    variation is not None
                    and (representation.get("sku"), variation) == (row.sku, row.variation)
                )
            ):
                return cls.of(row)
        return None


@strawberry.federation.interface_object(keys=["id"])
class Inventory:
    id: strawberry.ID
    deprecated_products: list[DeprecatedProduct]

    @classmethod
    def resolve_reference(cls, **representation: Any) -> Inventory | None:
        if representation.get("id") != "apollo-oss":
            return None
        return cls(id=strawberry.ID("apollo-oss"), deprecated_products=[DeprecatedProduct.the_one()])


@strawberry.type
class Query:
    @strawberry.field
    def product(self, id: strawberry.ID) -> Product | None:
        return Product.resolve_reference(id=id)

    @strawberry.field(deprecation_reason="Use product query instead")
    def deprecated_product(self, sku: str, package: str) -> DeprecatedProduct | None:
        return DeprecatedProduct.find(sku, package)


def products_schema(settings: Settings, traced: bool = False) -> strawberry.federation.Schema:
    return federated_schema(Query, settings, types=[Inventory, User], traced=traced, federation_version="2.3")

"""GraphQL enums more than one subgraph exposes, registered once so every schema sees the same definition.

Some enums live in ``graph_store``, which knows nothing of GraphQL: they are registered here, and their values are
described here too, through :func:`register_enum`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry
from strawberry.types.enum import StrawberryEnumDefinition

from graph_store.identifiers import IdentifierType

E = TypeVar("E", bound=Enum)


def register_enum(cls: type[E], *, name: str, description: str, values: Mapping[E, str]) -> type[E]:
    """Register a plain Python enum with strawberry, with a description for each of its values.

    The enum itself is left as it is (same members, same values); only its strawberry definition is described.
    """
    missing = [member.name for member in cls if member not in values]
    if missing:
        raise ValueError(f"{name}: no description for {', '.join(missing)}")
    strawberry.enum(cls, name=name, description=description)
    definition = getattr(cls, "__strawberry_definition__", None)
    assert isinstance(definition, StrawberryEnumDefinition)
    for value in definition.values:
        value.description = values[cls(value.value)]
    return cls


register_enum(
    IdentifierType,
    name="IdentifierType",
    description="Kinds of identifier that can point at a customer.",
    values={
        IdentifierType.PHONE: (
            "Phone number, stored in E.164 form; a number without a country code is read in the default region "
            "(`C360_DEFAULT_PHONE_REGION`, CN by default)."
        ),
        IdentifierType.EMAIL: "Email address, validated and stored in lower case.",
        IdentifierType.WECHAT_UNIONID: "WeChat unionid: one id per person across the company's WeChat apps.",
        IdentifierType.WECHAT_OPENID: (
            "WeChat openid, unique only within one app: it needs the app's `appId` and is stored as "
            "`appId/openid`."
        ),
        IdentifierType.DEVICE_ID: "Id of a device the customer used, stored in lower case.",
        IdentifierType.CRM_ID: "Customer id in the CRM.",
        IdentifierType.ECOMMERCE_ID: "Customer id in the e-commerce platform.",
        IdentifierType.POS_ID: "Customer id in the stores' point-of-sale system.",
        IdentifierType.SERVICE_DESK_ID: "Customer id in the service desk.",
        IdentifierType.NATIONAL_ID: "National identity number, stored without spaces and in upper case.",
    },
)

__all__ = ["IdentifierType", "register_enum"]

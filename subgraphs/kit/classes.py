"""Data classes of fields, declared next to them: a type's default (``@classified``) and per-field exceptions
(``strawberry.field(metadata=classify(...))``). ``schema/policies.py`` reads them when the schema is built and the
policy file says, per role and class, whether a value is shown, masked or withheld.

A type with personal data also says whose it is (``@owned_by``): the audit names the customers whose unmasked
values a response showed, and reads them from the object that holds the fields, at no cost when nothing is shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

DataClass = Literal["public", "contact_pii", "sensitive_pi", "financial", "internal", "identifier"]
"""``identifier``: an identifier's value, whose class follows its type (a phone is contact PII, a national id
sensitive PI, a device id internal)."""
Mask = Literal["name", "phone", "email", "national_id", "text"]

T = TypeVar("T")
ATTRIBUTE = "__c360_data_class__"
OWNER = "__c360_owner__"


def classified(default: DataClass) -> Callable[[T], T]:
    """The class of every field the decorated type declares without one of its own."""

    def mark(cls: T) -> T:
        setattr(cls, ATTRIBUTE, default)
        return cls

    return mark


def owned_by(attribute: str | None) -> Callable[[T], T]:
    """Whose personal data the decorated type holds: the name of an attribute of its objects holding a customer
    id or a list of them (``None``: no customer's, e.g. a rejected record that never became one). Every type with a
    field of a class the audit covers must say it; the schema refuses to build otherwise."""

    def mark(cls: T) -> T:
        setattr(cls, OWNER, attribute)
        return cls

    return mark


def classify(data_class: DataClass, mask: Mask = "text") -> dict[str, Any]:
    """Field metadata: this field's class, and how a masked value is shown."""
    return {"data_class": data_class, "mask": mask}


IDENTIFIER_CLASSES: dict[str, tuple[DataClass, Mask]] = {
    "phone": ("contact_pii", "phone"),
    "email": ("contact_pii", "email"),
    "wechat_unionid": ("contact_pii", "text"),
    "wechat_openid": ("contact_pii", "text"),
    "national_id": ("sensitive_pi", "national_id"),
}
"""The class of an identifier's value by its type; other types (device and source-system ids) are internal."""


def identifier_class(identifier_type: str) -> tuple[DataClass, Mask]:
    return IDENTIFIER_CLASSES.get(identifier_type, ("internal", "text"))

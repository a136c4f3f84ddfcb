"""Identifier types and their normalisation, so every raw spelling of one identifier meets in one graph node."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from core.errors import InvalidIdentifier


class IdentifierType(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    WECHAT_UNIONID = "wechat_unionid"
    WECHAT_OPENID = "wechat_openid"
    DEVICE_ID = "device_id"
    CRM_ID = "crm_id"
    ECOMMERCE_ID = "ecommerce_id"
    POS_ID = "pos_id"
    SERVICE_DESK_ID = "service_desk_id"
    NATIONAL_ID = "national_id"


@dataclass(frozen=True, slots=True)
class Identifier:
    type: IdentifierType
    value: str
    """Normalised value; a WeChat openid is ``<app id>/<openid>`` because openids are unique only per app."""
    key: str = field(init=False, repr=False, compare=False)
    """``<type>:<value>``, the graph node's key: computed once, as resolution reads it many times per record."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"{self.type.value}:{self.value}")


CN_MOBILE = re.compile(r"1(?:3\d|4[5-9]|[5-9]\d)\d{8}")
"""Mainland China's mobile numbers under the MIIT's Telecommunications Network Numbering Plan (电信网编号计划,
2017 edition, and the network codes allocated since): eleven digits, ``1`` then a network code from 130 to 199,
each allocated to a carrier (China Mobile, China Unicom, China Telecom, China Broadnet, virtual operators, satellite
and data services); 140 to 144 carry 13-digit IoT numbers, not subscribers' phones. Carriers hand out numbers in
newly allocated network codes (14x data, 16x, 17x, 19x) before libphonenumber's metadata lists them, so its
``is_valid_number`` refuses numbers people really use: a number it refuses is kept when it fits this plan."""


def _fits_numbering_plan(number: phonenumbers.PhoneNumber) -> bool:
    return number.country_code == 86 and CN_MOBILE.fullmatch(str(number.national_number)) is not None


SEPARATORS = re.compile(r"[\s\-().]")


def normalize_phone(raw: str, region: str) -> str:
    digits = SEPARATORS.sub("", raw)
    if region == "CN" and CN_MOBILE.fullmatch(digits):
        # Eleven digits of a mobile number: never an international prefix (libphonenumber reads 17910… as the
        # 17910 IP-call prefix followed by a foreign number).
        raw = f"+86{digits}"
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentifier("phone", raw, "not a phone number") from exc
    if not phonenumbers.is_valid_number(number) and not _fits_numbering_plan(number):
        raise InvalidIdentifier("phone", raw, f"not a valid number (default region {region})")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidIdentifier("email", raw, str(exc)) from exc
    return checked.normalized.lower()


def normalize(kind: IdentifierType, raw: str, *, region: str = "CN", app_id: str | None = None) -> Identifier:
    """The canonical form of ``raw``; raises :class:`InvalidIdentifier` naming the type when there is none."""
    value = raw.strip()
    if not value:
        raise InvalidIdentifier(kind.value, raw, "empty value")
    if kind is IdentifierType.PHONE:
        value = normalize_phone(value, region)
    elif kind is IdentifierType.EMAIL:
        value = normalize_email(value)
    elif kind is IdentifierType.WECHAT_OPENID:
        if not app_id or not app_id.strip():
            raise InvalidIdentifier(
                kind.value, raw, "an openid is unique only within one app: give its appId"
            )
        value = f"{app_id.strip()}/{value}"
    elif kind is IdentifierType.DEVICE_ID:
        value = value.lower()
    elif kind is IdentifierType.NATIONAL_ID:
        value = "".join(value.split()).upper()
    return Identifier(kind, value)

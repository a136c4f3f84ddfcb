"""GraphQL types of consent: purposes, channels, statuses, the decision input and the consent in force."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from subgraphs.kit.classes import classified, classify, owned_by
from subgraphs.profiles.consent import ANY, Decision


@strawberry.enum(
    description="What a consent is for; PIPL asks for a separate consent to each of the last three."
)
class ConsentPurpose(Enum):
    _value_: str

    MARKETING = strawberry.enum_value("marketing", description="Marketing messages, per channel.")
    PROFILING = strawberry.enum_value("profiling", description="Profiling and automated decisions.")
    THIRD_PARTY_SHARING = strawberry.enum_value(
        "third_party_sharing", description="Providing personal information to third parties."
    )
    CROSS_BORDER = strawberry.enum_value(
        "cross_border", description="Transferring personal information out of the country."
    )
    SENSITIVE_PI = strawberry.enum_value(
        "sensitive_pi", description="Processing sensitive personal information."
    )


@strawberry.enum(description="The channel of a marketing consent; `ANY` for every other purpose.")
class ConsentChannel(Enum):
    _value_: str

    SMS = strawberry.enum_value("sms", description="Text messages.")
    EMAIL = strawberry.enum_value("email", description="E-mail.")
    WECHAT = strawberry.enum_value("wechat", description="WeChat messages.")
    PHONE = strawberry.enum_value("phone", description="Phone calls.")
    ANY = strawberry.enum_value("any", description="No channel: the purpose as a whole.")


@strawberry.enum(description="A consent decision.")
class ConsentStatus(Enum):
    _value_: str

    GRANTED = strawberry.enum_value("granted", description="The customer agreed.")
    DENIED = strawberry.enum_value("denied", description="The customer refused.")
    WITHDRAWN = strawberry.enum_value("withdrawn", description="The customer withdrew an earlier consent.")


@strawberry.input(description="One consent decision, as the system that captured it recorded it.")
class ConsentInput:
    purpose: ConsentPurpose = strawberry.field(description="What it is for.")
    channel: ConsentChannel | None = strawberry.field(
        default=None, description="For marketing, the channel; otherwise `ANY` or nothing."
    )
    status: ConsentStatus = strawberry.field(description="The decision.")
    source: str = strawberry.field(description="The system that captured it, e.g. crm, wechat, pos.")
    decided_at: datetime = strawberry.field(
        description="When the customer decided; the latest decision per purpose and channel is in force."
    )
    evidence: str | None = strawberry.field(
        default=None, description="Where the proof is: a form id, a recording, a log reference."
    )

    def to_decision(self) -> Decision:
        return Decision(
            self.purpose.value,
            self.channel.value if self.channel is not None else ANY,
            self.status.value,
            self.source,
            self.decided_at,
            self.evidence,
        ).checked()


@classified("public")
@owned_by("customer_id")
@strawberry.type(description="The consent in force for one purpose and channel: the latest decision.")
class Consent:
    purpose: ConsentPurpose = strawberry.field(description="What it is for.")
    channel: ConsentChannel = strawberry.field(description="For marketing, the channel; otherwise `ANY`.")
    status: ConsentStatus = strawberry.field(description="The decision in force.")
    source: str = strawberry.field(description="The system that captured it.")
    decided_at: datetime = strawberry.field(description="When the customer decided.")
    evidence: str | None = strawberry.field(
        metadata=classify("sensitive_pi"), description="Where the proof is (it may quote personal data)."
    )
    customer_id: strawberry.Private[str]


@strawberry.input(description="A consent decision for a known customer.")
class SetConsentInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer (a merged-away id works too).")
    consent: ConsentInput = strawberry.field(description="The decision.")


@classified("public")
@strawberry.type(description="What `setConsent` recorded.")
class SetConsentPayload:
    customer_id: strawberry.ID = strawberry.field(description="The customer it was recorded for.")
    event_id: strawberry.ID = strawberry.field(description="The `consent.changed` event that announces it.")

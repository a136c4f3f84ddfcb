"""Data subjects with a footprint in every store, made through the public API as the source systems, agents and
stewards would make it, each with values of its own (so a search for them finds nothing else)."""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from tests import auth
from tests.conftest import GraphQL

INGEST = """mutation($r: [SourceRecordInput!]!) { ingestSourceRecords(records: $r) {
  results { system externalId status mergedCustomerIds customer { id } blocked { type reason } } } }"""
ADMIN = auth.headers(("admin",), subject="erasure-test-admin")
AGENT = auth.headers(("agent",), subject="erasure-test-agent")
STEWARD = auth.headers(("steward",), subject="erasure-test-steward")
INTEGRATION = auth.headers(("integration",), subject="erasure-test-crm")
PRIVACY = auth.headers(("privacy",), subject="erasure-test-dpo")


@dataclass
class Subject:
    """One person's values and what the API made of them."""

    tag: str
    given: str
    family: str
    phone1: str
    """National number (11 digits); it is sent in two other spellings too."""
    phone2: str
    email1: str
    email2: str
    unionid: str
    openid: str
    national_id: str
    device: str
    """Another person's device, on that person's record only."""
    other_phone: str
    """A household's phone: the subject gave it on one form, and another person's record carries it; a steward
    splits that record off this subject."""
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The subject's source records as sent, by external id suffix."""
    customer: str = ""
    """The surviving customer."""
    alias: str = ""
    """The id merged into it."""
    split_off: str = ""
    """The customer the steward's split made of the other person's record (not the subject)."""
    orders: list[int] = field(default_factory=list)
    tickets: list[int] = field(default_factory=list)
    interactions: list[int] = field(default_factory=list)
    neighbours: tuple[str, str] = ("", "")
    """A household member and a referrer: other customers."""

    @property
    def full_name(self) -> str:
        return f"{self.given} {self.family}"

    def phones(self, national: str) -> list[str]:
        """Every spelling a search must not find: raw ones sent, national digits, E.164."""
        return [national, f"+86{national}", f"+86 {national[:3]} {national[3:7]} {national[7:]}",
                f"{national[:3]}-{national[3:7]}-{national[7:]}"]  # fmt: skip

    def values(self) -> list[str]:
        """What must be gone once the subject is erased: names, phones in every form, e-mails, national id, WeChat
        ids (the openid as sent and as normalised)."""
        return [
            self.given,
            self.family,
            self.full_name,
            *self.phones(self.phone1),  # sent in three spellings
            self.phone2,  # sent as digits only
            f"+86{self.phone2}",
            self.email1,
            self.email1.upper(),
            self.email2,
            self.national_id,
            self.unionid,
            self.openid,
        ]

    def ids(self) -> list[str]:
        return [self.customer, self.alias]

    def needles(self) -> list[str]:
        """What marks a row as the subject's (its values, ids and the tag in every key and external id)."""
        return [*self.values(), *self.ids(), self.tag, self.other_phone, self.device]


def new_subject(label: str) -> Subject:
    tag = f"{label}{uuid.uuid4().hex[:10]}"
    rng = random.Random(tag)

    def phone() -> str:
        return "199" + "".join(rng.choice("0123456789") for _ in range(8))

    def word(prefix: str) -> str:
        return prefix + "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(6))

    return Subject(
        tag=tag,
        given=word("Qv").capitalize(),
        family=word("Zx").capitalize(),
        phone1=phone(),
        phone2=phone(),
        email1=f"{word('mail')}.{tag}@Example.CN".lower(),
        email2=f"{word('post')}.{tag}@erasure.cn",
        unionid=f"o6_{word('union')}{tag}",
        openid=f"oX{word('open')}{tag}",
        national_id="3301061990" + "".join(rng.choice("0123456789") for _ in range(7)) + "X",
        device=f"dev-{tag}",
        other_phone=phone(),
    )


def _record(
    system: str, external: str, observed: str, identifiers: list[tuple[str, str]], **attributes: Any
) -> dict[str, Any]:
    return {
        "system": system,
        "externalId": external,
        "observedAt": observed,
        "attributes": attributes or None,
        "identifiers": [
            {"type": t, "value": v, **({"appId": "wxAPP9"} if t == "WECHAT_OPENID" else {})}
            for t, v in identifiers
        ],
    }


async def _data(gql: GraphQL, query: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
    response = await gql.http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def ingest(
    gql: GraphQL, *records: dict[str, Any], headers: dict[str, str] = INTEGRATION
) -> list[dict[str, Any]]:
    data = await _data(gql, INGEST, headers, r=list(records))
    results: list[dict[str, Any]] = data["ingestSourceRecords"]["results"]
    return results


async def make(
    gql: GraphQL, pg: asyncpg.Connection, subject: Subject, neighbours: tuple[str, str]
) -> Subject:
    """The subject's footprint in every store (see the module's docstring)."""
    s, t = subject, subject.tag
    consent = {"purpose": "MARKETING", "channel": "SMS", "status": "GRANTED", "source": "crm",
               "decidedAt": "2026-10-01T09:00:00Z",
               "evidence": f"paper form signed by {s.full_name}, {s.phones(s.phone1)[2]}"}  # fmt: skip
    s.records = {
        "1": {**_record("crm", f"{t}-1", "2026-10-01T09:00:00Z",
                        [("PHONE", s.phones(s.phone1)[2]), ("CRM_ID", f"CRM-{t}"), ("NATIONAL_ID", s.national_id)],
                        givenName=s.given, familyName=s.family, birthDate="1990-05-17", city="Hangzhou",
                        address=f"{s.family} Road 1"),
              "consents": [consent]},
        "2": _record("ecommerce", f"{t}-2", "2026-10-02T09:00:00Z",
                     [("EMAIL", s.email1.upper()), ("PHONE", s.phone2), ("WECHAT_OPENID", s.openid),
                      ("PHONE", s.other_phone)], givenName=s.given, familyName=s.family, city="Shanghai"),
        "3": _record("pos", f"{t}-3", "2026-10-03T09:00:00Z",
                     [("PHONE", s.phones(s.phone1)[3]), ("EMAIL", s.email1)], familyName=s.family),
        "4": _record("wechat", f"{t}-4", "2026-10-04T09:00:00Z",
                     [("WECHAT_UNIONID", s.unionid), ("EMAIL", s.email1), ("EMAIL", s.email2)], givenName=s.given),
    }  # fmt: skip
    first = await ingest(gql, s.records["1"])
    second = await ingest(gql, s.records["2"])
    merged = await ingest(gql, s.records["3"])
    assert [r["status"] for r in (*first, *second, *merged)] == ["CREATED", "CREATED", "MERGED"], merged
    s.customer = merged[0]["customer"]["id"]
    [s.alias] = merged[0]["mergedCustomerIds"]
    assert {s.customer, s.alias} == {first[0]["customer"]["id"], second[0]["customer"]["id"]}
    linked = await ingest(gql, s.records["4"])
    assert linked[0]["status"] == "LINKED"
    # Another person's record that shares the household's phone joins the subject (an app record without a name: one
    # that disagrees with the subject's would keep the phone from linking, and a device, a value people share from
    # its first use, links no record with nothing to weigh); a steward splits it off again.
    other = _record(
        "app", f"{t}-other", "2026-10-05T09:00:00Z", [("DEVICE_ID", s.device), ("PHONE", s.other_phone)]
    )
    assert (await ingest(gql, other))[0]["customer"]["id"] == s.customer
    split = await _data(
        gql,
        "mutation($i: UnmergeCustomerInput!) { unmergeCustomer(input: $i) { applied customers { id } } }",
        STEWARD,
        i={"customerId": s.customer, "sourceRecords": [{"system": "app", "externalId": f"{t}-other"}]},
    )
    assert split["unmergeCustomer"]["applied"]
    [s.split_off] = [c["id"] for c in split["unmergeCustomer"]["customers"] if c["id"] != s.customer]
    rejected = _record("crm", f"{t}-9", "2026-10-06T09:00:00Z", [("EMAIL", s.email2), ("PHONE", s.phone2)],
                       givenName=s.given, familyName=s.family, birthDate="1990-13-45")  # fmt: skip
    assert (await ingest(gql, rejected))[0]["status"] == "REJECTED"
    await _data(
        gql,
        "mutation($i: SetConsentInput!) { setConsent(input: $i) { eventId } }",
        PRIVACY,
        i={"customerId": s.alias, "consent": {"purpose": "PROFILING", "status": "GRANTED", "source": "console",
                                               "decidedAt": "2026-10-07T09:00:00Z",
                                               "evidence": f"call recording, {s.email1}"}},
    )  # fmt: skip
    await _service_history(gql, s)
    await _relationships(gql, s, neighbours)
    for headers in (ADMIN, AGENT):  # audited reads of the subject's personal data
        await _data(
            gql, f'{{ customer(id: "{s.customer}") {{ fullName identifiers {{ value }} }} }}', headers
        )
    s.orders = [
        r["id"]
        for r in await pg.fetch(
            "SELECT id FROM orders.orders WHERE customer_id = ANY($1::uuid[])",
            [uuid.UUID(i) for i in s.ids()],
        )
    ]
    s.tickets = [
        r["id"]
        for r in await pg.fetch(
            "SELECT id FROM tickets.tickets WHERE customer_id = ANY($1::uuid[])",
            [uuid.UUID(i) for i in s.ids()],
        )
    ]
    s.interactions = [r["id"] for r in await pg.fetch("SELECT id FROM interactions.interactions WHERE customer_id = ANY($1::uuid[])", [uuid.UUID(i) for i in s.ids()])]  # fmt: skip
    assert (len(s.orders), len(s.tickets), len(s.interactions)) == (2, 1, 2)
    return s


async def _service_history(gql: GraphQL, s: Subject) -> None:
    t = s.tag
    orders = [
        {"system": "shop", "externalId": f"{t}-order-{n}", "customer": {"identifierType": "PHONE",
         "identifierValue": s.phones(s.phone1)[1]}, "channel": "ONLINE", "placedAt": f"2026-10-1{n}T10:00:00Z",
         "items": [{"sku": "SKU-TEA", "name": "Tea", "quantity": n, "unitPrice": "12.50"}]}
        for n in (1, 2)
    ]  # fmt: skip
    await _data(
        gql,
        "mutation($o: [IngestOrderInput!]!) { ingestOrders(orders: $o) { results { outcome } } }",
        INTEGRATION,
        o=orders,
    )
    ticket = await _data(
        gql,
        "mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }",
        AGENT,
        i={"customer": {"id": s.alias}, "channel": "PHONE", "subject": f"Refund for {s.full_name}",
           "description": f"Call back on {s.phones(s.phone1)[3]} or write to {s.email1}",
           "idempotencyKey": f"{t}-ticket"},
    )  # fmt: skip
    ticket_id = ticket["createTicket"]["ticket"]["id"]
    await _data(
        gql,
        "mutation($i: AddTicketCommentInput!) { addTicketComment(input: $i) { replayed } }",
        AGENT,
        i={"ticketId": ticket_id, "body": f"{s.family} confirmed national id {s.national_id}", "internal": False,
           "idempotencyKey": f"{t}-comment"},
    )  # fmt: skip
    await _data(
        gql,
        "mutation($i: TransitionTicketInput!) { transitionTicket(input: $i) { replayed } }",
        AGENT,
        i={"ticketId": ticket_id, "to": "OPEN"},
    )
    for n, (kind, summary, payload) in enumerate(
        [
            ("WECHAT_MESSAGE", f"Chatted with {s.given} ({s.unionid})", {"openid": s.openid}),
            ("CALL", f"{s.full_name} called from {s.phone2}", {"ticket": ticket_id}),
        ]
    ):
        await _data(
            gql,
            "mutation($i: LogInteractionInput!) { logInteraction(input: $i) { replayed } }",
            AGENT,
            i={"customer": {"id": s.customer}, "kind": kind, "summary": summary, "payload": payload,
               "idempotencyKey": f"{t}-interaction-{n}"},
        )  # fmt: skip


async def _relationships(gql: GraphQL, s: Subject, neighbours: tuple[str, str]) -> None:
    s.neighbours = neighbours
    member, referrer = neighbours
    link = "mutation($i: LinkCustomersInput!) { linkCustomers(input: $i) { changed } }"
    await _data(gql, link, AGENT, i={"kind": "HOUSEHOLD", "customerId": member, "relatedCustomerId": s.customer,
                                     "householdName": f"The {s.family} family", "role": "PARTNER"})  # fmt: skip
    await _data(gql, link, AGENT, i={"kind": "REFERRAL", "customerId": referrer, "relatedCustomerId": s.customer,
                                     "campaign": "friends"})  # fmt: skip
    account = await _data(
        gql, f'mutation {{ createAccount(input: {{name: "Erasure Co {s.tag}"}}) {{ id }} }}', ADMIN
    )
    await _data(
        gql,
        'mutation($c: ID!, $a: ID!) { addAccountContact(input: {customerId: $c, accountId: $a, title: "Buyer"}) { changed } }',
        ADMIN,
        c=s.customer,
        a=account["createAccount"]["id"],
    )


JOB = """query($id: ID!) { erasureJob(id: $id) { id state requestedBy requestedAt startedAt finishedAt errors
  counts { name count }
  steps { name store state attempts error startedAt finishedAt counts { name count } } } }"""
ERASE = """mutation($i: EraseCustomerInput!) { eraseCustomer(input: $i) { started job { id state } } }"""


async def job(gql: GraphQL, job_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await _data(gql, JOB, PRIVACY, id=job_id))["erasureJob"]
    return found


async def wait_for(gql: GraphQL, job_id: str, state: str, attempts: int = 600) -> dict[str, Any]:
    """The job once it reaches ``state`` (bounded: the relay applies the identity step as soon as it is woken)."""
    for _ in range(attempts):
        found = await job(gql, job_id)
        if found["state"] == state:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached {state}: {found}")

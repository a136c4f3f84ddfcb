"""A graphql-transport-ws client on the `websockets` library, for tests: connect, authenticate, subscribe, read."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

PROTOCOL = "graphql-transport-ws"
WAIT = 30.0
"""Seconds any one message may take: a safety net on a busy machine, never a measured time."""


class Socket:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._ids = itertools.count(1)

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        frame = await asyncio.wait_for(self.ws.recv(), WAIT)
        assert isinstance(frame, str), "graphql-transport-ws sends text frames"
        message: dict[str, Any] = json.loads(frame)
        return message

    async def init(self, token: str | None) -> dict[str, Any]:
        await self.send(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"} if token else {}}
        )
        return await self.receive()

    async def subscribe(self, query: str, **variables: Any) -> str:
        operation = str(next(self._ids))
        await self.send(
            {"id": operation, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )
        return operation

    async def next(self, operation: str) -> dict[str, Any]:
        """The next message of ``operation`` (pings answered, other operations' messages skipped)."""
        while True:
            message = await self.receive()
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            if message.get("id") == operation:
                return message

    async def complete(self, operation: str) -> None:
        await self.send({"id": operation, "type": "complete"})


@asynccontextmanager
async def socket(url: str, token: str | None = None) -> AsyncIterator[Socket]:
    """A connection to ``url`` (http… becomes ws…), acknowledged when ``token`` is given."""
    async with connect(url.replace("http", "ws", 1), subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        client = Socket(ws)
        if token is not None:
            ack = await client.init(token)
            assert ack["type"] == "connection_ack", ack
        yield client

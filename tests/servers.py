"""Loopback servers for tests that need real HTTP: free ports, and an ASGI app served in the test event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any, Literal

import uvicorn
from starlette.types import ASGIApp


def free_port() -> int:
    """A loopback port nothing listens on (also usable as a closed port to simulate an outage)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(
    app: ASGIApp, port: int, lifespan: Literal["auto", "on", "off"] = "auto", **options: Any
) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1:``port`` in this event loop; yields its base URL (``options`` go to uvicorn)."""
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan=lifespan, **options
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), f"the server on port {port} failed to start"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task

"""Loopback servers for tests that need real HTTP: free ports, and an ASGI app served in the test event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal

import httpx
import uvicorn
from starlette.types import ASGIApp

from app import create_app
from core.clock import Clock, system_clock
from core.settings import Settings
from tests import auth, canaries


def free_port() -> int:
    """A loopback port nothing listens on (also usable as a closed port to simulate an outage)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(
    app: ASGIApp,
    port: int,
    lifespan: Literal["auto", "on", "off"] = "auto",
    ws: Literal["none", "websockets-sansio"] = "none",
    **options: Any,
) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1:``port`` in this event loop; yields its base URL (``options`` go to uvicorn;
    ``ws`` turns WebSockets on)."""
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", ws=ws, lifespan=lifespan, **options
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


class Forwarder:
    """A loopback TCP port that forwards to a real server once opened: a store that is down, then comes back."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.target_port = target_port
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                writer.close()

        for task in (
            asyncio.create_task(pipe(client_reader, server_writer)),
            asyncio.create_task(pipe(server_reader, client_writer)),
        ):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


@contextlib.asynccontextmanager
async def in_process(
    settings: Settings,
    headers: Mapping[str, str] | None = None,
    subgraph: str | None = None,
    clock: Clock = system_clock,
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on ``settings``, started with its lifespan, behind an in-process HTTP client that sends an
    administrator's development token unless ``headers`` says otherwise; ``clock`` is the app's time."""
    app = create_app(settings, subgraph, clock=clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=canaries.transport(app),
            base_url="http://testserver",
            headers=auth.headers() if headers is None else dict(headers),
        ) as http,
    ):
        yield http

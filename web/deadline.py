"""A deadline per GraphQL request: at ``request_timeout`` its work is cancelled and it answers 504.

The request runs in a task of its own so the answer goes out at the deadline even when the work cannot unwind
at once (a paused database leaves a driver waiting for a socket, and asyncpg waits for a query's cancellation
before it takes a connection back). The cancelled task finishes in the background; its late messages are dropped.

504 rather than 200: a cancelled request has no partial result to return (the whole execution is cancelled), so
it is a failed request, not a GraphQL result with field errors; the body still has the GraphQL error shape,
``{"errors": [{"extensions": {"code": "DEADLINE_EXCEEDED"}}]}``. PostgreSQL's ``statement_timeout`` and Neo4j's
transaction timeout sit below the deadline, so the servers stop the work of a request nobody waits for.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.deadlines import REQUEST_DEADLINE
from web.metrics import DEADLINE_EXCEEDED
from web.responses import error_messages, is_graphql

log = logging.getLogger("c360.deadline")


class Deadline:
    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds
        self.expired = 0
        """Requests cancelled at their deadline since start."""
        self._unwinding: set[asyncio.Task[None]] = set()
        self._start, self._body = error_messages(
            504, "DEADLINE_EXCEEDED", f"The request did not complete within its {seconds:g} s deadline."
        )

    @property
    def unwinding(self) -> int:
        """Cancelled requests whose work has not finished yet."""
        return len(self._unwinding)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_graphql(scope["path"]) or self.seconds <= 0:
            await self.app(scope, receive, send)
            return
        state = {"started": False, "expired": False}

        async def watched_send(message: Message) -> None:
            if state["expired"]:
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        token = REQUEST_DEADLINE.set(asyncio.get_running_loop().time() + self.seconds)
        try:
            task = asyncio.ensure_future(
                self.app(scope, receive, watched_send)
            )  # copies the context: the deadline
        finally:
            REQUEST_DEADLINE.reset(token)
        try:
            done, _ = await asyncio.wait((task,), timeout=self.seconds)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if done:
            task.result()
            return
        state["expired"] = True
        self.expired += 1
        DEADLINE_EXCEEDED.inc()
        task.cancel()
        self._unwinding.add(task)
        task.add_done_callback(self._finished)
        if not state["started"]:
            await send(self._start)
            await send(self._body)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._unwinding.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("a request's work failed while it was cancelled", exc_info=task.exception())

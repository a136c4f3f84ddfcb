"""The load driver (``bench/node/load.mjs``) against a tiny local HTTP server, no project servers: it sends the
bodies in turn, counts every answer and GraphQL error, and in open-loop mode issues exactly duration x rate
requests. Counts and shape only, no timings."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import measure

OK = '{"query": "{ ok }"}'
BAD = '{"query": "{ bad }"}'


class _Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        answer = b'{"errors":[{"message":"no"}]}' if b"bad" in body else b'{"data":{"ok":true}}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/graphql"
    finally:
        server.shutdown()
        server.server_close()


def _failures(result: dict[str, object]) -> list[object]:
    return [result[key] for key in ("errors", "timeouts", "non2xx")]


def test_closed_loop_answers_every_request_and_counts_graphql_errors(url: str) -> None:
    result = measure.drive(measure.Load(url, [OK, BAD], connections=2, duration=0.5), core=None)
    sent = result["requests"]["sent"]
    assert sent > 0
    assert result["requests"]["total"] == sent
    assert result["latency"]["count"] == sent
    assert _failures(result) == [0, 0, 0]
    assert result["graphqlErrors"] == sent // 2  # every other body asks for an error
    assert set(result["latency"]) >= {"p50", "p99", "max"}
    assert result["lag"] == {"p99": 0, "max": 0}


def test_open_loop_issues_duration_times_rate_requests(url: str) -> None:
    result = measure.drive(measure.Load(url, [OK], connections=4, duration=0.5, rate=200), core=None)
    assert result["rate"] == 200
    assert result["requests"]["sent"] == 100
    assert result["requests"]["total"] == 100
    assert result["latency"]["count"] == 100
    assert _failures(result) == [0, 0, 0]
    assert result["graphqlErrors"] == 0

"""`c360 services up` on servers of its own (a state directory and ports under tmp_path): a cluster created with
``trust`` is upgraded to passwords; servers killed with SIGKILL, whose pid files are stale or name an unrelated
process, start again while that process is left alone; hung servers are restarted."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from c360 import services
from c360.services import neo4j, postgres
from core.settings import Settings
from tests.servers import free_port

OLD_TRUST_HBA = "local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n"


@pytest.fixture
def own(tmp_path: Path) -> Iterator[Settings]:
    """Settings for servers only this test starts; both are stopped and their directories removed at the end."""
    settings = Settings(
        _env_file=None,
        state_dir=tmp_path / "state",
        local_pg_port=free_port(),
        local_neo4j_bolt_port=free_port(),
    )
    pg = postgres.LocalPostgres(settings)
    graph = neo4j.LocalNeo4j(settings)
    try:
        yield settings
    finally:
        try:
            graph.stop()
        finally:
            try:
                pg.stop()
            finally:
                _kill_left_behind(pg.data_dir)
                shutil.rmtree(pg.data_dir.parent, ignore_errors=True)


def _kill_left_behind(data_dir: Path) -> None:
    """SIGKILL any PostgreSQL process still serving this test's data directory (a stop that failed or ran before
    a restart finished would otherwise leave it running after the session)."""
    marker = f"-D {data_dir}"
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "postgres" in command and marker in command:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)


async def _login(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        user: str = await conn.fetchval("SELECT current_user")
        return user
    finally:
        await conn.close()


async def _passwordless(port: int, passfile: Path) -> bool:
    try:
        conn = await asyncpg.connect(
            host="127.0.0.1", port=port, user="postgres", database="postgres", passfile=passfile
        )
    except asyncpg.InvalidAuthorizationSpecificationError:
        return False
    await conn.close()
    return True


def _old_trust_cluster(pg: postgres.LocalPostgres) -> None:
    """A cluster as earlier versions left it: trust authentication, no password files."""
    pg._prepare_dirs()
    pg._initdb("unused")
    (pg.data_dir / "pg_hba.conf").write_text(OLD_TRUST_HBA)
    pg._start()


def _sigkill(pid: int, alive: Callable[[int], bool]) -> None:
    """SIGKILL a server this test started (``alive`` checks it is that server) and wait until it is gone."""
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while alive(pid):
        assert time.monotonic() < deadline, f"process {pid} outlived SIGKILL"
        time.sleep(0.2)


def test_services_up_upgrades_trust_and_restarts_killed_servers(own: Settings, tmp_path: Path) -> None:
    pg = postgres.LocalPostgres(own)
    graph = neo4j.LocalNeo4j(own)
    passfile = tmp_path / "pgpass"
    passfile.write_text("")
    passfile.chmod(0o600)

    _old_trust_cluster(pg)
    assert asyncio.run(_passwordless(own.local_pg_port, passfile))

    ready = services.ensure(own)
    assert "trust" not in (pg.data_dir / "pg_hba.conf").read_text()
    assert not asyncio.run(_passwordless(own.local_pg_port, passfile))
    for secret in (pg.owner_password_file, pg.app_password_file, graph.password_file):
        assert secret.stat().st_mode & 0o777 == 0o600
    assert ready.database_url is not None
    assert ready.migration_database_url is not None
    assert asyncio.run(_login(ready.database_url)) == postgres.APP_ROLE
    assert asyncio.run(_login(ready.migration_database_url)) == postgres.SUPERUSER

    # Crash: the pid files stay behind, naming processes that are gone (the Neo4j one a zombie of this process).
    pg_pid, graph_pid = pg._pid(), graph._pid()
    assert pg_pid is not None
    assert graph_pid is not None
    _sigkill(graph_pid, graph._ours)
    _sigkill(pg_pid, lambda pid: pg._pid() == pid)
    assert graph.pid_file.exists()
    assert (pg.data_dir / "postmaster.pid").exists()
    assert not graph.running()
    assert not pg.running()

    again = services.ensure(own)
    assert again.neo4j_password == ready.neo4j_password
    assert graph.running()
    assert asyncio.run(_login(again.database_url or "")) == postgres.APP_ROLE

    # Crash again, and this time the pid files name a live process that is not a server: it must survive.
    unrelated = subprocess.Popen(["sleep", "600"])
    try:
        pg_pid, graph_pid = pg._pid(), graph._pid()
        assert pg_pid is not None
        assert graph_pid is not None
        _sigkill(graph_pid, graph._ours)
        _sigkill(pg_pid, lambda pid: pg._pid() == pid)
        graph.pid_file.write_text(str(unrelated.pid))
        lock = pg.data_dir / "postmaster.pid"
        lines = lock.read_text().split("\n")
        lock.write_text("\n".join([str(unrelated.pid), *lines[1:]]))

        up = _services_up(own, tmp_path)
        assert unrelated.poll() is None, "services up killed a process that was not its server"
        assert f"C360_DATABASE_URL=postgresql://{postgres.APP_ROLE}:***@" in up
        assert graph.running()
        assert pg.running()
        assert asyncio.run(_login(again.migration_database_url or "")) == postgres.SUPERUSER
    finally:
        unrelated.kill()
        unrelated.wait()


def _services_up(settings: Settings, cwd: Path) -> str:
    """`c360 services up` in a process of its own, on the test's state directory and ports only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("C360_")}
    env |= {
        "C360_STATE_DIR": str(settings.state_dir),
        "C360_LOCAL_PG_PORT": str(settings.local_pg_port),
        "C360_LOCAL_NEO4J_BOLT_PORT": str(settings.local_neo4j_bolt_port),
    }
    done = subprocess.run(
        [sys.executable, "-m", "c360", "services", "up"],
        cwd=cwd,  # no .env file there
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_services_up_restarts_hung_servers(own: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server of ours that is alive but never answers (here: stopped with SIGSTOP) is stopped and started again."""
    pg = postgres.LocalPostgres(own)
    graph = neo4j.LocalNeo4j(own)
    services.ensure(own)
    pg_pid, graph_pid = pg._pid(), graph._pid()
    assert pg_pid is not None
    assert graph_pid is not None
    os.kill(pg_pid, signal.SIGSTOP)
    os.kill(graph_pid, signal.SIGSTOP)
    monkeypatch.setattr(postgres, "READY_TIMEOUT", 5.0)
    monkeypatch.setattr(neo4j, "READY_TIMEOUT", 5.0)

    ready = services.ensure(own)
    assert pg._pid() not in (None, pg_pid)
    assert graph._pid() not in (None, graph_pid)
    assert not graph._ours(graph_pid)
    assert asyncio.run(_login(ready.database_url or "")) == postgres.APP_ROLE

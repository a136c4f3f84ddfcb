"""A real Neo4j Community 5.26 server, resolved from Maven Central and started on 127.0.0.1 without Docker.

Neo4j publishes no server tarball on Maven Central, but its server entry point and every module it needs are
published there: ``scripts/neo4j/pom.xml`` resolves them into a class path (cached in ``~/.m2``), and the server
runs from that class path with a home directory of its own.

The server asks for a password (generated on first start, kept in ``<home>/password`` with mode 0600). ``ensure_running``
starts it from any state: a pid file naming a process that is gone, a zombie or an unrelated process is stale; a
server of this home that runs without a pid file is adopted; one that never becomes ready is stopped and started
again. Only a process whose command line is this home's Neo4j is ever signalled.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from c360.services.postgres import cmdline, port_open, port_taken
from core.settings import PROJECT_ROOT, Settings

POM = PROJECT_ROOT / "scripts" / "neo4j" / "pom.xml"
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
START_TIMEOUT = 180.0
READY_TIMEOUT = START_TIMEOUT
"""Seconds a running server of ours (perhaps still starting) gets to answer before it is restarted."""


def _reap(pid: int) -> None:
    """Collect ``pid`` if it is a child of this process that exited (a server started here that died)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


class LocalNeo4j:
    def __init__(self, settings: Settings) -> None:
        self.home = settings.state_dir.resolve() / "neo4j"
        self.port = settings.local_neo4j_bolt_port
        self.lib = self.home / "lib"
        self.conf = self.home / "conf"
        self.pid_file = self.home / "run" / "neo4j.pid"
        self.password_file = self.home / "password"

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    def _java(self) -> str:
        java = shutil.which("java")
        if java is None:
            raise RuntimeError(
                "Java 17 is needed for Neo4j 5.26 (Debian: apt-get install openjdk-17-jre-headless)."
            )
        return java

    def _resolve_classpath(self) -> None:
        marker = self.lib / ".resolved"
        if marker.exists() and marker.read_text() == POM.read_text():
            return
        mvn = shutil.which("mvn")
        if mvn is None:
            raise RuntimeError(
                "Maven is needed to fetch Neo4j from Maven Central (Debian: apt-get install maven)."
            )
        print("neo4j: resolving Neo4j Community from Maven Central (first run only)...", file=sys.stderr)
        shutil.rmtree(self.lib, ignore_errors=True)
        subprocess.run(
            [
                mvn,
                "-B",
                "-q",
                "-f",
                str(POM),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={self.lib}",
                "-DincludeScope=runtime",
            ],
            check=True,
        )
        marker.write_text(POM.read_text())

    def _write_config(self) -> None:
        self.conf.mkdir(parents=True, exist_ok=True)
        (self.conf / "neo4j.conf").write_text(
            "server.default_listen_address=127.0.0.1\n"
            f"server.bolt.listen_address=127.0.0.1:{self.port}\n"
            "server.bolt.advertised_address=127.0.0.1\n"
            "server.http.enabled=false\n"
            "server.https.enabled=false\n"
            "server.memory.heap.initial_size=512m\n"
            "server.memory.heap.max_size=1g\n"
            "server.memory.pagecache.size=256m\n"
            "db.tx_log.rotation.retention_policy=1 files\n"
            "dbms.usage_report.enabled=false\n"
        )

    def _password(self) -> str:
        if self.password_file.exists():
            return self.password_file.read_text().strip()
        if (self.home / "data" / "databases" / "system").exists():
            raise RuntimeError(
                f"the local Neo4j in {self.home} has users but its password file {self.password_file} is gone: "
                "restore it, or stop the server and delete that directory"
            )
        # Hex, never a leading '-': the admin tool would read such a password as an option.
        password = secrets.token_hex(18)
        env = {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.conf)}
        subprocess.run(
            [self._java(), "-cp", f"{self.lib}/*", ADMIN_TOOL, "dbms", "set-initial-password", password],
            check=True,
            env=env,
            capture_output=True,
        )
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(password)
        return password

    def _ours(self, pid: int) -> bool:
        """Whether ``pid`` is this home's server (a zombie or a reused pid is not)."""
        args = cmdline(pid)
        return ENTRY_POINT in args and f"--home-dir={self.home}" in args

    def _pid(self) -> int | None:
        """The server's pid from the pid file, when that process is this home's server."""
        try:
            pid = int(self.pid_file.read_text())
        except (OSError, ValueError):
            return None
        if self._ours(pid):
            return pid
        _reap(pid)
        return None

    def _find(self) -> int | None:
        """A server of this home running without a (valid) pid file; the pid file is rewritten to name it."""
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and self._ours(int(entry.name)):
                self.pid_file.parent.mkdir(parents=True, exist_ok=True)
                self.pid_file.write_text(entry.name)
                return int(entry.name)
        return None

    def _kill(self, pid: int) -> None:
        """Stop this home's server ``pid``: SIGTERM, then SIGKILL if it has not exited within a minute."""
        for sig, wait in ((signal.SIGTERM, 120), (signal.SIGKILL, 20)):
            if not self._ours(pid):
                break
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
                os.kill(pid, signal.SIGCONT)  # a stopped process acts on SIGTERM only once continued
            for _ in range(wait):
                if not self._ours(pid):
                    break
                _reap(pid)
                time.sleep(0.5)
        self.pid_file.unlink(missing_ok=True)

    def running(self) -> bool:
        return self._pid() is not None and port_open(self.port)

    def ensure_running(self) -> tuple[str, str]:
        """Resolve, configure and start the server as needed; return its Bolt URI and password."""
        self.home.mkdir(parents=True, exist_ok=True)
        self._resolve_classpath()
        self._write_config()
        password = self._password()
        pid = self._pid() or self._find()
        if pid is not None:
            if self._ready(pid, password, READY_TIMEOUT):
                return self.uri, password
            self._kill(pid)  # crashed during start, or started and never became ready
        self.pid_file.unlink(missing_ok=True)
        if port_taken(self.port):
            raise RuntimeError(
                f"port {self.port} is taken by another process: set C360_LOCAL_NEO4J_BOLT_PORT"
            )
        for sub in ("data", "logs", "run", "plugins"):
            (self.home / sub).mkdir(exist_ok=True)
        with (self.home / "logs" / "console.log").open("ab") as log:
            proc = subprocess.Popen(
                [
                    self._java(),
                    "-Xms512m",
                    "-Xmx1g",
                    "-XX:+UseG1GC",
                    "-Dfile.encoding=UTF-8",
                    "-cp",
                    f"{self.lib}/*",
                    ENTRY_POINT,
                    f"--home-dir={self.home}",
                    f"--config-dir={self.conf}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))
        for _ in range(100):  # the command line of a process that has just exec'd reads empty for a moment
            if cmdline(proc.pid) or proc.poll() is not None:
                break
            time.sleep(0.05)
        if not self._ready(proc.pid, password, START_TIMEOUT):
            if self._ours(proc.pid):
                self._kill(proc.pid)
                raise RuntimeError(f"Neo4j did not answer on {self.uri} within {START_TIMEOUT:.0f}s")
            raise RuntimeError(f"Neo4j exited during start: see {self.home / 'logs'}")
        return self.uri, password

    def _ready(self, pid: int, password: str, timeout: float) -> bool:
        """Wait until server ``pid`` answers a query; False when it exits or does not answer in time."""
        from neo4j import GraphDatabase
        from neo4j.exceptions import Neo4jError, ServiceUnavailable

        deadline = time.monotonic() + timeout
        while True:
            if not self._ours(pid):
                self._pid()  # reaps it if this process started it
                return False
            if port_open(self.port):
                try:
                    with GraphDatabase.driver(
                        self.uri,
                        auth=("neo4j", password),
                        connection_timeout=5.0,
                        connection_acquisition_timeout=5.0,
                    ) as driver:
                        driver.verify_connectivity()
                        driver.execute_query("RETURN 1", database_="neo4j")
                    return True
                except (ServiceUnavailable, Neo4jError, OSError):
                    pass
            if time.monotonic() > deadline:
                return False
            time.sleep(1.0)

    def stop(self) -> None:
        pid = self._pid() or self._find()
        if pid is not None:
            self._kill(pid)
        self.pid_file.unlink(missing_ok=True)

    def status(self) -> str:
        if not (self.home / "data").exists():
            return "neo4j: not created"
        state = "running" if self.running() else "stopped"
        return f"neo4j: {state} at {self.uri} (home {self.home})"

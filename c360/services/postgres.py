"""A private PostgreSQL cluster on 127.0.0.1, created with Debian's server binaries and started idempotently.

Every connection needs a password (scram-sha-256, loopback only). Two roles: the cluster's superuser ``postgres``,
which owns the subgraphs' schemas and runs migrations and seeding, and ``c360_app``, the role the API connects as,
which migrations grant the use of those schemas and nothing else (``core.migrations.grant_app_role``). Both
passwords are generated on first use and kept under the state directory (mode 0600). A cluster created by an
earlier version with ``trust`` authentication is upgraded in place: passwords set, ``pg_hba.conf`` rewritten,
configuration reloaded.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from core.settings import Settings

DATABASE = "c360"
SUPERUSER = "postgres"
APP_ROLE = "c360_app"
HBA = (
    "# customer360 local cluster: password (scram-sha-256) authentication, loopback TCP only\n"
    "host all all 127.0.0.1/32 scram-sha-256\n"
    "host all all ::1/128 scram-sha-256\n"
)
START_ATTEMPTS = 20
READY_TIMEOUT = 60.0
"""Seconds a running server of ours gets to accept connections before it counts as hung and is restarted."""


def _find_bin(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    found = candidates[0] if candidates else shutil.which(name)
    if not found:
        raise RuntimeError(
            f"PostgreSQL binary {name!r} not found: install it (Debian: apt-get install postgresql)."
        )
    return found


def _traversable_by(path: Path, user: str) -> bool:
    """Whether ``user`` (other than root) can reach ``path``: initdb runs as that user."""
    uid = pwd.getpwnam(user).pw_uid
    for part in [path, *path.parents]:
        if not part.exists():
            continue
        st = part.stat()
        if st.st_uid == uid:
            continue
        if not st.st_mode & 0o001:
            return False
    return True


def cmdline(pid: int) -> list[str]:
    """The command line of a process, empty when it is gone or a zombie."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def port_open(port: int) -> bool:
    """Whether something listens on 127.0.0.1:``port``.

    A connection to a free port of the ephemeral range can connect to itself (its source port chosen equal to the
    port): that does not count.
    """
    with socket.socket() as sock:
        sock.settimeout(0.5)
        if sock.connect_ex(("127.0.0.1", port)) != 0:
            return False
        return bool(sock.getsockname() != sock.getpeername())


def port_taken(port: int, wait: float = 10.0) -> bool:
    """Whether something still listens on ``port`` after ``wait`` seconds: a process that was just killed closes its
    sockets only after its command line is already gone."""
    deadline = time.monotonic() + wait
    while port_open(port):
        if time.monotonic() > deadline:
            return True
        time.sleep(0.2)
    return False


def secret_file(path: Path) -> str:
    """The password kept in ``path``, generated (hex, mode 0600) on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_hex(18)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(password)
    return password


class LocalPostgres:
    def __init__(self, settings: Settings) -> None:
        self.port = settings.local_pg_port
        self.as_root = os.geteuid() == 0
        state = settings.state_dir.resolve()
        base = state
        if self.as_root and not _traversable_by(base, SUPERUSER):
            # postgres refuses to run as root and cannot enter a private checkout: keep the cluster beside it.
            digest = hashlib.sha256(str(base).encode()).hexdigest()[:10]
            base = Path("/var/tmp") / f"c360-{digest}"
        self.data_dir = base / "postgres"
        self.log_file = base / "postgres.log"
        self.owner_password_file = state / "postgres-owner.password"
        self.app_password_file = state / "postgres-app.password"

    def _dsn(self, user: str, password: str) -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def owner_dsn(self) -> str:
        """The schemas' owner (the cluster's superuser): migrations, seeding, creating databases."""
        return self._dsn(SUPERUSER, secret_file(self.owner_password_file))

    @property
    def app_dsn(self) -> str:
        """The API's role: reads and writes the subgraphs' tables, nothing more."""
        return self._dsn(APP_ROLE, secret_file(self.app_password_file))

    def _run(
        self, *args: str, check: bool = True, password: str | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", SUPERUSER, "--", *cmd]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["PGPASSFILE"] = os.devnull
        if password is not None:
            env["PGPASSWORD"] = password
        return subprocess.run(cmd, check=check, capture_output=True, text=True, env=env, input=stdin)

    def _psql(self, sql: str, password: str | None, database: str = "postgres") -> str:
        """Run ``sql`` as the superuser (read from standard input, so no password shows in a process list)."""
        done = self._run(
            _find_bin("psql"),
            "-X",
            "-w",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-d",
            database,
            "-f",
            "-",
            check=False,
            password=password,
            stdin=sql,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql on port {self.port} failed: {done.stderr.strip()}")
        return done.stdout

    def _prepare_dirs(self) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(self.data_dir.parent, SUPERUSER)

    def _write_owned(self, path: Path, text: str) -> None:
        path.write_text(text)
        if self.as_root:
            shutil.chown(path, SUPERUSER)

    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def _pid(self) -> int | None:
        """The postmaster's pid when ``postmaster.pid`` names a live server of this data directory.

        A pid file left by a crash may name no process, or one that reused the pid: only a ``postgres`` process
        started on this data directory counts.
        """
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        args = cmdline(pid)
        if not args or Path(args[0]).name != "postgres" or str(self.data_dir) not in args:
            return None
        return pid

    def running(self) -> bool:
        return self.initialised() and self._pid() is not None

    def _accepting(self) -> bool:
        ready = self._run(
            _find_bin("pg_isready"), "-q", "-t", "2", "-h", "127.0.0.1", "-p", str(self.port), check=False
        )
        return ready.returncode == 0

    def _initdb(self, owner_password: str) -> None:
        pwfile = self.data_dir.parent / ".initdb-password"
        self._write_owned(pwfile, owner_password + "\n")
        pwfile.chmod(0o600)
        try:
            self._run(
                _find_bin("initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# customer360 local cluster\n"
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = ''\n"
                "password_encryption = 'scram-sha-256'\n"
                "shared_buffers = 256MB\nmax_connections = 200\nwork_mem = 16MB\n"
                "maintenance_work_mem = 256MB\nmax_wal_size = 2GB\n"
            )
        self._write_owned(self.data_dir / "pg_hba.conf", HBA)

    def _stop_pid(self, pid: int) -> None:
        """Stop this cluster's postmaster ``pid`` (checked to be ours by the caller), forcibly if it must."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)  # a stopped process would not act on pg_ctl's signal
        self._run(
            _find_bin("pg_ctl"),
            "stop",
            "-w",
            "-t",
            "30",
            "-m",
            "immediate",
            "-D",
            str(self.data_dir),
            check=False,
        )
        for _ in range(60):
            if self._pid() != pid:
                return
            time.sleep(0.5)
        if self._pid() == pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _start(self) -> None:
        """Start the server from whatever state it is in: stopped, crashed with a stale pid file, half started."""
        pid = self._pid()
        if pid is not None:
            deadline = time.monotonic() + READY_TIMEOUT
            while not self._accepting():
                if self._pid() != pid:
                    break
                if time.monotonic() > deadline:
                    self._stop_pid(pid)  # alive but never ready: a half-started or hung server of ours
                    break
                time.sleep(0.5)
            else:
                return
        if self._pid() is None and port_taken(self.port):
            raise RuntimeError(f"port {self.port} is taken by another process: set C360_LOCAL_PG_PORT")
        for _ in range(START_ATTEMPTS):
            if self._pid() is None:
                # The pid file names a dead process or someone else's: the server is not running.
                (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
                started = self._run(
                    _find_bin("pg_ctl"),
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_file),
                    # The port set now, not the one written at initdb: a moved port applies to an existing cluster.
                    "-o",
                    f"-p {self.port}",
                    check=False,
                )
                if started.returncode == 0 and self._accepting():
                    return
            elif self._accepting():
                return
            # The backends of a killed postmaster may still hold its shared memory for a moment.
            time.sleep(1.0)
        raise RuntimeError(f"PostgreSQL did not start on port {self.port}: see {self.log_file}")

    def _secure(self, owner_password: str, app_password: str) -> None:
        """Passwords on both roles, password authentication only; upgrades a cluster created with ``trust``."""
        upgrading = (self.data_dir / "pg_hba.conf").read_text() != HBA
        # Under trust a password is not asked for; once upgraded, the owner's password is the one that works.
        try:
            self._psql(
                "SET password_encryption = 'scram-sha-256';\n"
                + (f"ALTER ROLE {SUPERUSER} PASSWORD '{owner_password}';\n" if upgrading else "")
                + "DO $$ BEGIN\n"
                f"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN\n"
                f"    CREATE ROLE {APP_ROLE};\n"
                "  END IF;\n"
                "END $$;\n"
                f"ALTER ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
                f" NOINHERIT PASSWORD '{app_password}';\n",
                password=owner_password,
            )
        except RuntimeError as exc:
            if "password authentication failed" in str(exc):
                raise RuntimeError(
                    f"the local PostgreSQL in {self.data_dir} does not accept the password in "
                    f"{self.owner_password_file}: restore that file, or stop the server and delete both"
                ) from exc
            raise
        if upgrading:
            self._write_owned(self.data_dir / "pg_hba.conf", HBA)
            self._psql("SELECT pg_reload_conf();", password=owner_password)
            for _ in range(50):  # the reload is asynchronous: wait until a password-less login is refused
                probe = self._run(
                    _find_bin("psql"),
                    "-X",
                    "-w",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    SUPERUSER,
                    "-d",
                    "postgres",
                    "-c",
                    "SELECT 1",
                    check=False,
                )
                if probe.returncode != 0:
                    break
                time.sleep(0.1)

    def ensure_running(self) -> tuple[str, str]:
        """Create, start, secure and prepare the cluster as needed; return the API's DSN and the owner's DSN."""
        self._prepare_dirs()
        owner_password = secret_file(self.owner_password_file)
        app_password = secret_file(self.app_password_file)
        if not self.initialised():
            self._initdb(owner_password)
        self._start()
        self._secure(owner_password, app_password)
        created = self._run(
            _find_bin("createdb"),
            "-w",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            DATABASE,
            check=False,
            password=owner_password,
        )
        if created.returncode != 0 and "already exists" not in created.stderr:
            raise RuntimeError(f"createdb failed: {created.stderr.strip()}")
        return self.app_dsn, self.owner_dsn

    def stop(self) -> None:
        pid = self._pid() if self.initialised() else None
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)  # a stopped server would not act on pg_ctl's signal
            self._run(_find_bin("pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.data_dir))

    def status(self) -> str:
        if not self.initialised():
            return "postgres: not created"
        state = "running" if self.running() else "stopped"
        return (
            f"postgres: {state} at 127.0.0.1:{self.port}/{DATABASE}, roles {SUPERUSER} (owner) and {APP_ROLE} (API),"
            f" passwords in {self.owner_password_file.parent} (data {self.data_dir})"
        )

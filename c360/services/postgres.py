"""A private PostgreSQL cluster on 127.0.0.1, created with Debian's server binaries and started idempotently."""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from core.settings import Settings

DATABASE = "c360"
SUPERUSER = "postgres"


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


class LocalPostgres:
    def __init__(self, settings: Settings) -> None:
        self.port = settings.local_pg_port
        self.as_root = os.geteuid() == 0
        base = settings.state_dir.resolve()
        if self.as_root and not _traversable_by(base, SUPERUSER):
            # postgres refuses to run as root and cannot enter a private checkout: keep the cluster beside it.
            digest = hashlib.sha256(str(base).encode()).hexdigest()[:10]
            base = Path("/var/tmp") / f"c360-{digest}"
        self.data_dir = base / "postgres"
        self.log_file = base / "postgres.log"

    @property
    def dsn(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", SUPERUSER, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def _prepare_dirs(self) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(self.data_dir.parent, SUPERUSER)

    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def running(self) -> bool:
        if not self.initialised():
            return False
        return self._run(_find_bin("pg_ctl"), "status", "-D", str(self.data_dir), check=False).returncode == 0

    def ensure_running(self) -> str:
        """Create, start and prepare the cluster as needed; return its DSN."""
        self._prepare_dirs()
        if not self.initialised():
            self._run(
                _find_bin("initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            )
            with (self.data_dir / "postgresql.conf").open("a") as conf:
                conf.write(
                    "\n# customer360 local cluster\n"
                    f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = ''\n"
                    "shared_buffers = 256MB\nmax_connections = 200\nwork_mem = 16MB\n"
                    "maintenance_work_mem = 256MB\nmax_wal_size = 2GB\n"
                )
        if not self.running():
            self._run(
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
            )
        created = self._run(
            _find_bin("createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            DATABASE,
            check=False,
        )
        if created.returncode != 0 and "already exists" not in created.stderr:
            raise RuntimeError(f"createdb failed: {created.stderr.strip()}")
        return self.dsn

    def stop(self) -> None:
        if self.running():
            self._run(_find_bin("pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.data_dir))

    def status(self) -> str:
        if not self.initialised():
            return "postgres: not created"
        state = "running" if self.running() else "stopped"
        return f"postgres: {state} at {self.dsn} (data {self.data_dir})"

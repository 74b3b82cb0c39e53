"""A real PostgreSQL server for the tests: Debian's ``postgresql`` binaries, a fresh cluster in a temp dir.

The server listens on 127.0.0.1 on a free port, with ``fsync=off`` (test data
is throw-away) and trust authentication for its one user. ``initdb`` refuses to
run as root, so under root (CI) the cluster is created and run as the
unprivileged ``nobody`` user. Missing binaries skip the test locally and fail
it under ``CI=true`` (``.ci/run`` installs ``postgresql``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import IN_CI, free_port

USER = "mlmon"


def postgres_bin_dir() -> Path | None:
    """Where ``initdb`` and ``postgres`` are: on PATH, or Debian's versioned directory."""
    found = shutil.which("initdb")
    if found and Path(found).resolve().with_name("postgres").exists():
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def require_postgres() -> Path:
    directory = postgres_bin_dir()
    if directory is not None:
        return directory
    reason = "PostgreSQL server binaries not found (Debian: apt-get install postgresql)"
    if IN_CI:
        pytest.fail(f"{reason}; CI must install them (.ci/run)", pytrace=False)
    pytest.skip(reason)


def require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        reason = "psycopg is not installed (pip install 'psycopg[binary,pool]'; `make setup` does)"
        if IN_CI:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


@dataclass
class PostgresServer:
    port: int
    directory: Path
    process: subprocess.Popen

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database on this server; returns its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def _as_unprivileged() -> dict:
    """``subprocess`` arguments that drop root (initdb refuses it); nothing when not root."""
    if os.geteuid() != 0:
        return {}
    return {"user": "nobody", "group": "nogroup", "extra_groups": []}


@contextlib.contextmanager
def running_postgres(timeout: float = 60.0) -> Iterator[PostgresServer]:
    bin_dir = require_postgres()
    require_psycopg()
    import psycopg

    directory = Path(tempfile.mkdtemp(prefix="mlmon-pg-", dir="/tmp"))
    data = directory / "data"
    drop = _as_unprivileged()
    if drop:
        shutil.chown(directory, user="nobody", group="nogroup")
    port = free_port()
    process = None
    log = None
    try:
        subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
            timeout=timeout,
            **drop,
        )
        log = open(directory / "server.log", "wb")
        process = subprocess.Popen(
            [
                str(bin_dir / "postgres"),
                "-D", str(data),
                "-p", str(port),
                "-k", str(directory),
                "-c", "listen_addresses=127.0.0.1",
                "-c", "fsync=off",
                "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off",
                "-c", "max_connections=100",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            **drop,
        )  # fmt: skip
        server = PostgresServer(port, directory, process)
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(server.url(), connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "PostgreSQL did not start: "
                        + (directory / "server.log").read_text(errors="replace")[-2000:]
                    ) from None
                time.sleep(0.2)
        yield server
    finally:
        if process is not None:
            process.send_signal(
                signal.SIGINT
            )  # fast shutdown: clients' pooled connections are closed
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if log is not None:
            log.close()
        shutil.rmtree(directory, ignore_errors=True)

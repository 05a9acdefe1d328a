"""Real servers for tests: PostgreSQL and redis-server started in temporary folders on free ports.

Nothing here is a mock: each function starts the real binary, waits until it answers, and
returns a handle whose `stop()` ends it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


@dataclass
class Server:
    port: int
    url: str
    proc: subprocess.Popen[bytes]
    workdir: Path
    extra: dict[str, str] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)  # how to start it again (restart)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_redis() -> Server:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server is not installed (make test installs it: apt-get install redis-server)"
        )
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="enrich-redis-"))
    command = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
    ]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return Server(port, f"redis://127.0.0.1:{port}/0", proc, workdir, command=command)


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for base in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (base / name).exists():
            return str(base / name)
    raise RuntimeError(f"{name} not found (make test installs postgresql with apt-get)")


def _as_postgres(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def start_postgres() -> Server:
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="enrich-pg-"))
    data = workdir / "data"
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    subprocess.run(
        _as_postgres(
            [
                _pg_bin("initdb"),
                "-D",
                str(data),
                "-U",
                "enrich",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    command = _as_postgres(
        [
            _pg_bin("postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(workdir),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
        ]
    )
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server(
        port,
        f"postgresql+psycopg://enrich@127.0.0.1:{port}/postgres",
        proc,
        workdir,
        extra={"kind": "postgres", "data": str(data)},
        command=command,
    )
    _wait_postgres(server)
    return server


def _wait_postgres(server: Server) -> None:
    wait_port(server.port)
    # The port opens a moment before connections are accepted.
    deadline = time.monotonic() + 20
    while True:
        done = subprocess.run(
            _as_postgres([_pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(server.port)]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if done.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.1)


def halt(server: Server) -> None:
    """Stop the server process but keep its data, so `resume` starts it again on the same port
    (fault tests). PostgreSQL gets a fast shutdown (SIGTERM would wait for every client to
    leave); redis-server is terminated (with --save "" it comes back empty, as a lost Redis)."""
    if server.extra.get("kind") == "postgres":
        subprocess.run(
            _as_postgres(
                [_pg_bin("pg_ctl"), "stop", "-D", server.extra["data"], "-m", "fast", "-w"]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    else:
        server.proc.terminate()
    server.proc.wait(20)


def resume(server: Server) -> None:
    """Start a halted server again with the same command, port and data."""
    assert server.command and server.proc.poll() is not None
    server.proc = subprocess.Popen(
        server.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if server.extra.get("kind") == "postgres":
        _wait_postgres(server)
    else:
        wait_port(server.port)


def create_database(server: Server, name: str) -> str:
    import psycopg

    with psycopg.connect(
        f"postgresql://enrich@127.0.0.1:{server.port}/postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://enrich@127.0.0.1:{server.port}/{name}"

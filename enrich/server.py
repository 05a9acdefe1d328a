"""Run the app under gunicorn from Python (`enrich serve`), one app and runtime per worker."""

from __future__ import annotations

import errno
import gc
import os
import socket
import tempfile
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from enrich import runtime
from enrich.app import create_app
from enrich.config import Settings
from enrich.errors import ConfigError
from enrich.runtime import current
from enrich.scheduler import Scheduler


def build_wsgi_app(settings: Settings) -> Flask:
    """The app plus, on the embedded default, its in-process scheduler."""
    app = create_app(settings)
    if not settings.redis_url:
        app.extensions["enrich.scheduler"] = Scheduler(current()).start()
    # The app's modules, tables and caches live as long as the process: keep the collector from
    # walking them. A full collection of that heap held the GIL for 80-110 ms every few seconds
    # under load, which was most of the ack time's p99 (Ingest round 5 in bench/README.md's git
    # history).
    gc.collect()
    gc.freeze()
    return app


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        # Called in each worker after the fork: engines, pools and threads are per process.
        return build_wsgi_app(self.settings)


def metrics_folder() -> str:
    """Point prometheus-client at a folder for every gunicorn worker's counters (its
    multiprocess mode; `enrich.metrics`), emptied of a previous run's files, whose counts would
    be added to this run's. prometheus-client picks its mode when first imported, so this runs
    in the master before any worker builds the app."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="enrich-metrics-")
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.remove(os.path.join(path, name))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path


def _worker_exit(server: Any, worker: Any) -> None:
    # The worker is stopping (SIGTERM to gunicorn, or a restart): close the runtime, which lets
    # in-process jobs finish; what does not finish stays pending in the database for the sweeper.

    runtime.uninstall()


def run_gunicorn(
    settings: Settings,
    host: str,
    port: int,
    workers: int,
    threads: int,
    *,
    reuse_port: bool = False,
) -> None:
    metrics_folder()
    _Gunicorn(
        settings,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            # Threads get whole requests only: slow clients cost a buffer, never a thread.
            "worker_class": "enrich.httpworker.BufferingThreadWorker",
            # SO_REUSEPORT spreads connections over the workers (on one shared socket a few
            # keep-alive senders could all land on one worker while the other idled,
            # bench/README.md) but also lets a second `enrich serve` bind the same port and
            # silently take half the deliveries: only when asked for (--reuse-port).
            "reuse_port": reuse_port,
            "timeout": 60,
            "graceful_timeout": 20,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            "worker_exit": _worker_exit,
        },
    ).run()


def ensure_port_free(host: str, port: int) -> None:
    """Refuse to start on a port another process listens on (before gunicorn's five retries)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
            raise ConfigError(
                f"{host}:{port} is already in use (another `enrich serve`?): stop it, or choose "
                "another port with --port or PORT"
            ) from exc

"""The per-process runtime: settings, database engine and job queue, built once and shared.

Jobs are plain module-level functions that take ids (so rq can import and run them in a worker
process); they reach the database and queue through `current()`. The web app, the worker and the
CLI each `install()` a runtime at start; a bare rq worker builds one from the environment.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import Engine

from enrich.config import Settings, load_settings
from enrich.db import make_engine
from enrich.queue import JobQueue, make_queue


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    queue: JobQueue

    def close(self) -> None:
        self.queue.shutdown()
        self.engine.dispose()


_lock = threading.Lock()
_current: Runtime | None = None


def build(settings: Settings, *, embedded_worker: bool = True) -> Runtime:
    return Runtime(settings, make_engine(settings), make_queue(settings, run_jobs=embedded_worker))


def install(runtime: Runtime) -> Runtime:
    global _current
    with _lock:
        _current = runtime
    return runtime


def uninstall() -> None:
    global _current
    rt = _current
    # Close outside the lock: closing waits for running jobs, and a job calls current().
    if rt is not None:
        rt.close()
    with _lock:
        if _current is rt:
            _current = None


def current() -> Runtime:
    """The installed runtime, or one built from the environment (an rq worker's first job)."""
    global _current
    if _current is not None:  # every request asks: no lock once it is built
        return _current
    with _lock:
        if _current is None:
            _current = build(load_settings(), embedded_worker=False)
        return _current

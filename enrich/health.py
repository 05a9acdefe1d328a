"""`/healthz`: is the database reachable, is the queue reachable."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify

from enrich.db import ping
from enrich.runtime import current


def init_app(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> tuple[Any, int]:
        rt = current()
        checks: dict[str, str] = {}
        try:
            ping(rt.engine)
            checks["database"] = "ok"
        except Exception as exc:  # any failure is the answer here, not an error
            checks["database"] = f"unreachable: {type(exc).__name__}"
        try:
            rt.queue.ping()
            checks["queue"] = f"ok ({rt.queue.kind})"
        except Exception as exc:
            checks["queue"] = f"unreachable: {type(exc).__name__}"
        healthy = all(v.startswith("ok") for v in checks.values())
        return jsonify({"status": "ok" if healthy else "degraded", "checks": checks}), (
            200 if healthy else 503
        )

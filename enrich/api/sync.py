"""Sync health and dead letters (list, replay one / some / all)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlmodel import Session

from enrich.api.common import (
    ApiError,
    actor,
    body,
    cursor_arg,
    engine,
    limit_arg,
    page,
    requires,
    settings,
    str_arg,
)
from enrich.models import Role
from enrich.services import stats, syncview
from enrich.services.errors import is_id


def register(bp: Blueprint) -> None:
    @bp.get("/sync")
    @requires(Role.VIEWER, "sync")
    def sync_status() -> ResponseReturnValue:
        with Session(engine()) as session:
            health = stats.sync_health(session, settings())
        return jsonify({"health": health, "recent_errors": syncview.recent_errors(engine())})

    @bp.get("/deadletters")
    @requires(Role.VIEWER, "sync")
    def deadletters_list() -> ResponseReturnValue:
        replayed = str_arg("replayed", choices=("true", "false"))
        rows, cursor = syncview.dead_letters(
            engine(),
            limit=limit_arg(50),
            before=cursor_arg(),
            kind=str_arg("kind", 40),
            replayed=None if replayed is None else replayed == "true",
        )
        return page(rows, cursor)

    @bp.post("/deadletters/replay")
    @requires(Role.REVOPS, "sync")
    def deadletters_replay() -> ResponseReturnValue:
        data = body()
        ids, everything = data.get("ids"), data.get("all", False)
        if everything is True and ids is None:
            count = syncview.replay_letters(engine(), None, actor())
        elif (
            everything is False
            and isinstance(ids, list)
            and ids
            and len(ids) <= 1000
            and all(is_id(i) for i in ids)
        ):
            count = syncview.replay_letters(engine(), ids, actor())
        else:
            raise ApiError(
                400, "bad_request", 'send {"ids": [1, 2]} (1-1000 dead-letter ids) or {"all": true}'
            )
        return jsonify({"replayed": count})

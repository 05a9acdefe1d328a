"""People: search the CRM mirror (contacts and leads) and read one person's whole picture."""

from __future__ import annotations

import re

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from enrich.api.common import (
    ApiError,
    cursor_arg,
    engine,
    limit_arg,
    page,
    requires,
    settings,
    str_arg,
)
from enrich.models import Role
from enrich.services import duplicates, people

_PAIR_CURSOR = re.compile(r"[0-9]{1,18}-[0-9]{1,18}")


def pair_cursor() -> tuple[int, int] | None:
    """The `next_cursor` of a page of duplicate pairs ("<record id>-<record id>")."""
    raw = request.args.get("cursor")
    if raw is None or raw == "":
        return None
    if not _PAIR_CURSOR.fullmatch(raw):
        raise ApiError(400, "bad_request", "cursor must be the next_cursor of a previous page")
    a, _, b = raw.partition("-")
    return int(a), int(b)


def register(bp: Blueprint) -> None:
    @bp.get("/people")
    @requires(Role.VIEWER, "people")
    def people_search() -> ResponseReturnValue:
        q = request.args.get("q", "")
        if len(q) > 200:
            raise ApiError(400, "bad_request", "q is longer than 200 characters")
        rows, cursor = people.search(
            engine(),
            q=q,
            limit=limit_arg(),
            after=cursor_arg() or 0,
            object_type=str_arg("object_type", choices=people.PERSON_TYPES),
        )
        return page(rows, cursor)

    @bp.get("/people/duplicates")
    @requires(Role.VIEWER, "people")
    def people_duplicates() -> ResponseReturnValue:
        found = duplicates.list_pairs(engine(), settings(), limit=limit_arg(), after=pair_cursor())
        return jsonify(
            {
                "items": found.items,
                "next_cursor": f"{found.cursor[0]}-{found.cursor[1]}" if found.cursor else None,
                "total": found.total,
                "survivor_rule": list(found.survivor),
                "scanned_at": found.scanned_at,
            }
        )

    @bp.get("/people/<id:record_id>")
    @requires(Role.VIEWER, "people")
    def person(record_id: int) -> ResponseReturnValue:
        found = people.person(engine(), settings(), record_id)
        if found is None:
            raise ApiError(404, "not_found", f"no CRM record {record_id}")
        return jsonify(found)

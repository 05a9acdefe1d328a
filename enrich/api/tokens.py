"""API tokens (admins only): create (the secret is shown once), list, revoke."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from enrich.api.common import actor, body, engine, requires
from enrich.models import Role
from enrich.services import tokens


def register(bp: Blueprint) -> None:
    @bp.get("/tokens")
    @requires(Role.ADMIN, "tokens")
    def tokens_list() -> ResponseReturnValue:
        return jsonify({"items": tokens.listing(engine()), "next_cursor": None})

    @bp.post("/tokens")
    @requires(Role.ADMIN, "tokens")
    def tokens_create() -> ResponseReturnValue:
        data = body()
        secret, row = tokens.create(
            engine(),
            name=data.get("name"),
            role=data.get("role"),
            scopes=data.get("scopes"),
            actor=actor(),
        )
        return jsonify({**row, "token": secret}), 201

    @bp.delete("/tokens/<id:token_id>")
    @requires(Role.ADMIN, "tokens")
    def tokens_revoke(token_id: int) -> ResponseReturnValue:
        return jsonify(tokens.revoke(engine(), token_id, actor()))

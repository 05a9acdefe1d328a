"""The card's routes: one pair per CRM (read the card, "Not this person"), plus the
development preview page. Gate order as for webhooks: size → authenticity on the raw bytes →
per-user rate limit → parse → act. Every refusal is a JSON 4xx naming what to fix.

    GET  /embed/hubspot/card?objectTypeId=0-1&objectId=..&userId=..&userEmail=..&portalId=..
    POST /embed/hubspot/not-this-person?(same query)          {"linkId": 12}
    GET  /embed/salesforce/card?recordId=003...
    POST /embed/salesforce/not-this-person?recordId=003...    {"linkId": 12}
    GET  /embed/preview/<record>   (not in production; console sign-in)
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request
from sqlmodel import Session, col, or_, select

from enrich.config import Settings
from enrich.console.auth import login_required
from enrich.embed import card as cards
from enrich.embed import gate
from enrich.embed.render import sparkline
from enrich.models import CrmRecord, id_of
from enrich.runtime import current
from enrich.services.errors import Conflict, NotFound, is_id
from enrich.services.review import unlink
from webhooks.gate import parse_json

bp = Blueprint(
    "embed",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/embed/static",
)
limiter = gate.RateLimiter()
replays = gate.ReplayGuard(gate.HUBSPOT_MAX_AGE_MS / 1000)
# HubSpot objectTypeId → our object type (contacts, companies); leads live in Salesforce.
HUBSPOT_TYPES = {"0-1": "contact", "0-2": "account"}
_HUBSPOT_ID = re.compile(r"\d{1,20}")
# 18 characters, as Apex gives an Id and the mirror stores it (the 15-character form is
# case-sensitive and would not match).
_SF_ID = re.compile(r"(003|00Q|001)[0-9A-Za-z]{15}")
SF_TYPES = {"003": "contact", "00Q": "lead", "001": "account"}


def _settings() -> Settings:
    return current().settings


def _hubspot_record() -> cards.RecordRef:
    type_id, object_id = request.args.get("objectTypeId", ""), request.args.get("objectId", "")
    if type_id not in HUBSPOT_TYPES:
        raise gate.refuse(
            400, "unsupported_object", "objectTypeId must be 0-1 (contact) or 0-2 (company)"
        )
    if not _HUBSPOT_ID.fullmatch(object_id):
        raise gate.refuse(400, "bad_object_id", "objectId must be the record's numeric id")
    return cards.RecordRef("hubspot", object_id, HUBSPOT_TYPES[type_id])


def _salesforce_record() -> cards.RecordRef:
    record_id = request.args.get("recordId", "")
    if not _SF_ID.fullmatch(record_id):
        raise gate.refuse(
            400,
            "bad_record_id",
            "recordId must be the 18-character id of a Contact (003), Lead (00Q) or Account (001)",
        )
    return cards.RecordRef("salesforce", record_id, SF_TYPES[record_id[:3]])


def _authenticate(crm: str, body: bytes, changes_state: bool) -> gate.CrmUser:
    settings = _settings()
    if crm == "hubspot":
        user = gate.verify_hubspot(
            request, settings, body, replay=replays, changes_state=changes_state
        )
    else:
        user = gate.verify_salesforce(request, settings)
    limiter.check(user, settings.card_requests_per_minute)
    return user


def _read(crm: str) -> tuple[cards.RecordRef, gate.CrmUser]:
    body = gate.read_body(request)
    if body:
        raise gate.refuse(400, "unexpected_body", "a card is read with an empty GET")
    user = _authenticate(crm, body, changes_state=False)
    return (_hubspot_record() if crm == "hubspot" else _salesforce_record()), user


def _card(ref: cards.RecordRef) -> dict[str, Any]:
    with Session(current().engine) as session:
        return cards.card(session, ref)


def _not_this_person(crm: str) -> tuple[Response, int]:
    body = gate.read_body(request)
    user = _authenticate(crm, body, changes_state=True)
    ref = _hubspot_record() if crm == "hubspot" else _salesforce_record()
    # HubSpot's docs do not say which Content-Type hubspot.fetch() sends with a JSON body:
    # none is accepted, another declared type is not.
    if request.mimetype not in ("application/json", ""):
        raise gate.refuse(415, "unsupported_media_type", "send the link id as application/json")
    payload = parse_json(body)
    link_id = payload.get("linkId") if isinstance(payload, dict) else None
    if not is_id(link_id):
        raise gate.refuse(
            422,
            "bad_link_id",
            'the body must be {"linkId": <the profile link id shown on the card>}',
        )
    engine = current().engine
    with Session(engine) as session:
        record = cards.find(session, ref)
    if record is None:
        return _problem(404, "unknown_record", "enrich has no such record in its CRM mirror")
    try:
        link = unlink(engine, link_id, user.actor, on_record=id_of(record))
    except NotFound as exc:
        return _problem(404, "unknown_link", str(exc))
    except Conflict as exc:
        return _problem(409, "already_decided", str(exc))
    kept = {key: link[key] for key in ("id", "status", "decided_by", "decided_at")}
    return jsonify({"link": kept, "card": _card(ref)}), 200


def _problem(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": {"status": status, "code": code, "message": message}}), status


@bp.get("/embed/hubspot/card")
def hubspot_card() -> Response:
    ref, _ = _read("hubspot")
    return jsonify(_card(ref))


@bp.post("/embed/hubspot/not-this-person")
def hubspot_not_this_person() -> tuple[Response, int]:
    return _not_this_person("hubspot")


@bp.get("/embed/salesforce/card")
def salesforce_card() -> Response:
    ref, _ = _read("salesforce")
    return jsonify(_card(ref))


@bp.post("/embed/salesforce/not-this-person")
def salesforce_not_this_person() -> tuple[Response, int]:
    return _not_this_person("salesforce")


@bp.get("/embed/preview/<record>")
@login_required()
def preview(record: str) -> str:
    """The card as a 300 px CRM column shows it, for developers: the enrich record id or a
    CRM id. Personal data behind the console's sign-in, and never served in production."""
    with Session(current().engine) as session:
        row = session.exec(
            select(CrmRecord)
            .where(
                or_(
                    col(CrmRecord.id)
                    == (int(record) if record.isdigit() and len(record) < 19 else -1),
                    CrmRecord.crm_id == record[:64],
                )
            )
            .order_by(col(CrmRecord.id))
        ).first()
        data = (
            cards.card(session, cards.RecordRef(row.crm, row.crm_id, row.object_type))
            if row
            else cards.empty(cards.RecordRef("unknown", record[:64]), None)
        )
    return render_template("embed/card.html", card=data, spark=sparkline(data))


@bp.before_request
def _no_preview_in_production() -> None:
    # Before the sign-in check: in production the page does not exist, for anyone.
    if request.endpoint == "embed.preview" and _settings().env == "production":
        abort(404)


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")  # personal data
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    )
    return response


@bp.errorhandler(gate.RateLimited)
def _limited(exc: gate.RateLimited) -> tuple[Response, int]:
    response, status = _problem(429, exc.code, exc.message)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response, status

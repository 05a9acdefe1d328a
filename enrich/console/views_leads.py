"""Leads to review: lead-form responses no CRM person matched, with the form's answers and the
candidates the matcher suggested; link one to a person, create its CRM Lead, or dismiss it.
The answers are the form filler's own text: shown escaped, never as markup."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue

from enrich.console.auth import login_required
from enrich.console.web import engine, int_arg, page, settings
from enrich.errors import InputError
from enrich.models import Role
from enrich.services import lead_review, people

PAGE_SIZE = 10


def register(bp: Blueprint) -> None:
    @bp.get("/review/leads", endpoint="leads_review")
    @login_required()
    def leads_page() -> ResponseReturnValue:
        after = int_arg(request.args.get("after"), 0, 0, 2**62)
        items, cursor = lead_review.queue(engine(), limit=PAGE_SIZE, after=after)
        q = request.args.get("q", "")[:200]
        at = int_arg(request.args.get("at"), 0, 0, 2**62)
        found = people.search(engine(), q=q, limit=8)[0] if q and at else []
        return page(
            "leads.html",
            items=items,
            cursor=cursor,
            after=after,
            remaining=lead_review.count(engine()),
            q=q,
            at=at,
            found=found,
            can_create=settings().crm != "none",
        )

    @bp.post("/review/leads/<id:lead_form_id>/<any(link, create, dismiss):action>")
    @login_required(Role.REVOPS)
    def leads_decide(lead_form_id: int, action: str) -> ResponseReturnValue:
        actor = g.principal.name
        try:
            if action == "link":
                record_id = int_arg(request.form.get("record_id"), 0, 0, 2**62)
                lead_review.link(engine(), lead_form_id, record_id, actor)
                flash(f"Linked to record {record_id}: the lead form is written on that person.")
            elif action == "create":
                lead_review.create(engine(), settings(), lead_form_id, actor)
                flash("The CRM Lead is being created (it appears within seconds).")
            else:
                lead_review.dismiss(engine(), lead_form_id, actor)
                flash("Dismissed: nothing is written to the CRM.")
        except InputError as exc:
            flash(str(exc), "error")
        after = int_arg(request.form.get("after"), 0, 0, 2**62)
        return redirect(url_for("console.leads_review", after=after or None))

"""Versioned rule sets (match rules, topic taxonomy, scoring): validate, save, activate, roll
back, and say who changed what.

Validation is delegated to the loaders that own each format (`enrich.matching.rules`,
`enrich.scoring`), which raise `ConfigError` naming the exact place; this module only stores
versions and switches the active one. A stored version is never edited: a change is a new
version, and a roll-back re-activates an old one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from enrich.db import session_scope
from enrich.errors import ConfigError, InputError
from enrich.matching.rules import default_rules, parse_rules
from enrich.models import AuditLog, IdentityLink, LinkStatus, RuleSet, SocialProfile, utcnow
from enrich.scoring import ScoringConfig, Taxonomy
from enrich.services.errors import Conflict, Invalid, NotFound

log = logging.getLogger("enrich.console.rules")
MAX_BODY = 200_000  # characters; the shipped files are a few KB


class RulesInvalid(Invalid):
    """The text does not load; the message is the loader's, naming line and key."""


class VersionNotFound(NotFound):
    """No stored version of that kind has that number."""


@dataclass(frozen=True)
class Kind:
    """One editable document kind: how to check it and what ships by default."""

    name: str
    label: str
    package: str
    default_file: str
    check: Callable[[str], dict[str, Any]]

    def default_text(self) -> str:
        return resources.files(self.package).joinpath(self.default_file).read_text("utf-8")


def _check_match(text: str) -> dict[str, Any]:
    rules = parse_rules(text, "match rules")
    return {
        "rules_version": rules.version,
        "comparisons": [c.name for c in rules.comparisons],
        "thresholds": {"link": rules.thresholds.link, "review": rules.thresholds.review},
    }


def _check_topics(text: str) -> dict[str, Any]:
    taxonomy = Taxonomy.from_yaml(text, "topics")
    return {"rules_version": taxonomy.version, "topics": [t.name for t in taxonomy.topics]}


def _check_scoring(text: str) -> dict[str, Any]:
    config = ScoringConfig.from_yaml(text, "scoring")
    return {
        "rules_version": config.version,
        "half_life_days": config.half_life_days,
        "points": {k.value: v for k, v in config.points.items()},
        "handoff_threshold": config.handoff.threshold,
    }


KINDS: dict[str, Kind] = {
    "match": Kind("match", "Match rules", "enrich.matching", "default_rules.yaml", _check_match),
    "topics": Kind("topics", "Topics", "enrich.scoring", "default_taxonomy.yaml", _check_topics),
    "scoring": Kind("scoring", "Scoring", "enrich.scoring", "default_scoring.yaml", _check_scoring),
}


def kind_of(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise VersionNotFound(
            f"unknown rule kind {name!r}; use one of {', '.join(KINDS)}"
        ) from None


def validate(kind: str, text: object) -> dict[str, Any]:
    """A summary of the loaded document, or RulesInvalid with the loader's precise message."""
    spec = kind_of(kind)
    if not isinstance(text, str) or not text.strip():
        raise RulesInvalid("the rules text is empty; paste or write YAML")
    if "\x00" in text:
        raise RulesInvalid("the rules text contains a NUL character; remove it")
    if len(text) > MAX_BODY:
        raise RulesInvalid(f"the rules text is {len(text)} characters; the limit is {MAX_BODY}")
    try:
        return spec.check(text)
    except ConfigError as exc:
        raise RulesInvalid(str(exc)) from None
    except InputError as exc:
        raise RulesInvalid(str(exc)) from None
    except Exception as exc:  # noqa: BLE001
        # A loader bug on odd input must still be a form message, never a 500: the loaders
        # are young and fuzzed input reaches them straight from the editor.
        log.warning("%s loader failed unexpectedly", kind, exc_info=True)
        raise RulesInvalid(f"{spec.label} could not be read: {type(exc).__name__}: {exc}") from None


def _row(r: RuleSet) -> dict[str, Any]:
    return {
        "kind": r.kind,
        "version": r.version,
        "active": r.active,
        "created_by": r.created_by,
        "created_at": r.created_at.isoformat(),
        "comment": r.comment,
    }


def current(engine: Engine, kind: str) -> dict[str, Any]:
    """The active document (the shipped default, version "default", if none is stored)."""
    spec = kind_of(kind)
    with Session(engine) as session:
        active = session.exec(
            select(RuleSet).where(RuleSet.kind == kind, RuleSet.active == True)  # noqa: E712
        ).first()
    if active is None:
        return {
            "kind": kind,
            "version": "default",
            "active": True,
            "created_by": "enrich",
            "created_at": None,
            "comment": "shipped default",
            "body": spec.default_text(),
        }
    return {**_row(active), "body": active.body}


def versions(engine: Engine, kind: str, limit: int = 50) -> list[dict[str, Any]]:
    kind_of(kind)
    with Session(engine) as session:
        rows = list(
            session.exec(
                select(RuleSet)
                .where(RuleSet.kind == kind)
                .order_by(col(RuleSet.id).desc())
                .limit(limit)
            )
        )
    return [_row(r) for r in rows]


def version_body(engine: Engine, kind: str, version: str) -> dict[str, Any]:
    with Session(engine) as session:
        row = session.exec(
            select(RuleSet).where(RuleSet.kind == kind, RuleSet.version == version)
        ).first()
    if row is None:
        raise VersionNotFound(f"no {kind} version {version!r}")
    return {**_row(row), "body": row.body}


def history(engine: Engine, kind: str, limit: int = 30) -> list[dict[str, Any]]:
    """Who saved, activated or rolled back what, newest first."""
    with Session(engine) as session:
        rows = list(
            session.exec(
                select(AuditLog)
                .where(AuditLog.target == f"rules:{kind}")
                .order_by(col(AuditLog.id).desc())
                .limit(limit)
            )
        )
    return [
        {"at": a.at.isoformat(), "actor": a.actor, "action": a.action, "detail": a.detail}
        for a in rows
    ]


def save(
    engine: Engine,
    kind: str,
    text: str,
    actor: str,
    comment: str | None = None,
    activate: bool = True,
) -> dict[str, Any]:
    """Store `text` as the next version (after validating it) and, by default, activate it."""
    summary = validate(kind, text)
    if kind == "match":
        _version_is_new(engine, text, str(summary["rules_version"]))
    comment = (comment or "").replace("\x00", "").strip()[:500] or None
    for _ in range(3):  # two editors saving at once: the loser takes the next number
        try:
            with session_scope(engine) as session:
                numbers = [
                    int(v)
                    for v in session.exec(select(RuleSet.version).where(RuleSet.kind == kind))
                    if v.isdigit()
                ]
                version = str(max(numbers, default=0) + 1)
                row = RuleSet(
                    kind=kind,
                    version=version,
                    body=text,
                    active=False,
                    created_by=actor,
                    comment=comment,
                )
                session.add(row)
                session.add(
                    AuditLog(
                        actor=actor,
                        action="rules.save",
                        target=f"rules:{kind}",
                        detail={
                            "version": version,
                            "comment": comment,
                            "rules_version": summary.get("rules_version"),
                        },
                    )
                )
                if activate:
                    _activate(session, kind, row, actor, "rules.activate")
            return {**_row(row), "summary": summary}
        except IntegrityError:
            continue
    raise Conflict("another version was saved at the same moment; save again")


def _version_is_new(engine: Engine, text: str, rules_version: str) -> None:
    """Match rules name their version inside the YAML, and every link records it: two
    different documents under one name would make links unexplainable (and the matcher's
    index, keyed by that name, would not rebuild)."""
    taken = {default_rules().version: KINDS["match"].default_text()}
    with Session(engine) as session:
        for body in session.exec(select(RuleSet.body).where(RuleSet.kind == "match")):
            try:
                taken.setdefault(parse_rules(body).version, body)
            except ConfigError:
                continue
    if rules_version in taken and taken[rules_version] != text:
        raise RulesInvalid(
            f"version {rules_version!r} already names different match rules; "
            "change the `version:` line (e.g. add -2) before saving"
        )


def activate(engine: Engine, kind: str, version: str, actor: str) -> dict[str, Any]:
    """Make a stored version the active one again (a roll-back when it is an older one)."""
    with session_scope(engine) as session:
        row = session.exec(
            select(RuleSet).where(RuleSet.kind == kind, RuleSet.version == version)
        ).first()
        if row is None:
            raise VersionNotFound(f"no {kind} version {version!r}; see the version list")
        validate(kind, row.body)  # a loader may have grown stricter since it was stored
        _activate(session, kind, row, actor, "rules.rollback")
        return _row(row)


def _activate(session: Session, kind: str, row: RuleSet, actor: str, action: str) -> None:
    previous = session.exec(
        select(RuleSet.version).where(RuleSet.kind == kind, RuleSet.active == True)  # noqa: E712
    ).first()
    session.execute(update(RuleSet).where(col(RuleSet.kind) == kind).values(active=False))
    session.flush()
    row.active = True
    session.add(
        AuditLog(
            actor=actor,
            action=action,
            target=f"rules:{kind}",
            detail={"version": row.version, "previous": previous or "default"},
        )
    )
    if kind == "match":
        # New rules: every profile a person has not confirmed is matched again by the worker
        # (as the preview counts them). A rejected pair stays rejected (`link_profile` never
        # proposes it again), but it must not freeze the profile's other candidates.
        decided = select(IdentityLink.profile_id).where(IdentityLink.status == LinkStatus.CONFIRMED)
        session.execute(
            update(SocialProfile)
            .where(col(SocialProfile.id).not_in(decided))
            .values(match_requested_at=utcnow())
        )

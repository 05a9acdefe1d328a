"""The comparators: given the values a rule routes to them, return (level, explanation).

Each function implements one entry of ``catalog.CATALOG`` and is the only place that
knows how similarity is measured (rapidfuzz for spelling, the ``nicknames`` table for
given names, unidecode via ``normalize`` for transliteration). Levels are checked in
the order of the catalog, strongest first, so the first that holds is returned.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from enrich.matching import normalize as nz
from enrich.matching import vocab
from enrich.matching.catalog import CATALOG, NULL_LEVEL
from enrich.matching.compare_handles import handle_name
from enrich.matching.compare_names import (
    person_name,
    person_name_level,
    person_name_prepare_left,
    person_name_prepare_right,
    person_name_term,
    person_name_written_terms,
)
from enrich.matching.compare_util import CompareFn, Outcome, Values, jaro_winkler, value_of
from enrich.matching.comparison import Comparison

__all__ = [
    "COMPARATORS",
    "FAST_LEVELS",
    "READ_UNLESS",
    "TERMS",
    "WRITTEN_TERMS",
    "CompareFn",
    "FastLevel",
    "Outcome",
    "TermFn",
    "Values",
    "WrittenTermFn",
]

# ---------------------------------------------------------------- company


@dataclass(frozen=True, slots=True)
class _Said:
    """What a profile says about its employer, parsed once per profile text."""

    toks: tuple[str, ...]
    tokset: frozenset[str]
    labels: tuple[tuple[str, str], ...]  # (domain label, domain), sorted by domain
    mentions: tuple[tuple[str, ...], ...]
    mention_acronyms: frozenset[str]


@lru_cache(maxsize=16384)
def _said(text: str, domains: tuple[str, ...]) -> _Said:
    toks = nz.text_tokens(text)
    regs = sorted({d for d in map(nz.registered_domain, domains) if d})
    mentions = nz.employer_mentions(text)
    return _Said(
        toks,
        frozenset(toks),
        tuple((nz.domain_label(d), d) for d in regs),
        mentions,
        frozenset(nz.acronym(m) for m in mentions),
    )


@lru_cache(maxsize=65536)
def _crm_company(name: str) -> tuple[tuple[str, ...], str, frozenset[str], str]:
    """(core tokens, core joined, one-word spellings, acronym) of a CRM company."""
    core = nz.company_core(name)
    joined = "".join(core)
    return core, joined, frozenset({joined, "".join(nz.text_tokens(name))}), nz.acronym(core)


_NAMED = frozenset({"exact", "acronym", "fuzzy"})


def company(left: Values, right: Values, rule: Comparison) -> Outcome:
    crm_company = value_of(right, "company")
    text = value_of(left, "text", " | ")
    said = _said(text, left.get("domains", ()))
    level, why = _company(crm_company, text, said, left, rule)
    if level in _NAMED or level == NULL_LEVEL:
        return level, why
    # A renamed company: the profile may say the new brand where the CRM holds the old
    # name (or the other way round); RevOps list the other names in a CRM field.
    for other in value_of(right, "former_names", ";").split(";"):
        other = other.strip()
        if not other or other == crm_company:
            continue
        alt, alt_why = _company(other, text, said, left, rule)
        if alt in _NAMED or (alt == "handle" and level != "handle"):
            return alt, f"{alt_why}, another name of {crm_company!r}"
    if level == "different" and said.labels:
        # The bio names a brand the CRM does not know, but the profile's website is the
        # CRM company's own domain: the employer under a new name, not another one (the
        # domain itself is weighed by the domain comparison).
        crm_domains = {nz.registered_domain(d) for d in right.get("domains", ())} - {""}
        shared = sorted(crm_domains & {d for _, d in said.labels})
        if shared:
            return "no_mention", f"{why}; but the profile's site {shared[0]} is the CRM company's"
    return level, why


def _company(crm_company: str, text: str, said: _Said, left: Values, rule: Comparison) -> Outcome:
    core, joined, spelled, acr = _crm_company(crm_company)
    if not core or (not text and not said.labels and not left.get("handle")):
        return NULL_LEVEL, "no company to compare"
    toks = said.toks
    head = f"company '{crm_company}'"
    k = len(core)
    if core[0] in said.tokset and any(toks[i : i + k] == core for i in range(len(toks) - k + 1)):
        return "exact", f"{head} named in the profile"
    if len(joined) >= 4 and (
        spelled & said.tokset
        or any(t.startswith(joined) and len(t) - len(joined) <= 3 for t in toks)
    ):
        return "exact", f"{head} named in the profile as one word"
    short = core[0] if len(core[0]) >= 4 else joined
    for label, d in said.labels:
        if label in {joined, short}:
            return "exact", f"{head} matches website domain {d}"
    mentions = said.mentions
    if (
        (len(acr) >= 3 and acr in said.tokset)
        or joined in said.mention_acronyms
        or (len(acr) == 2 and _two_letter_acronym(acr, text, mentions))
    ):
        return "acronym", f"{head} named by its acronym"
    sim = rule.option("fuzzy_similarity")
    for m in mentions:
        if fuzz.token_set_ratio(" ".join(m), " ".join(core)) / 100.0 >= sim:
            return "fuzzy", f"{head} ~ '{' '.join(m)}' in the profile"
    if mentions:
        return (
            "different",
            f"profile names employer '{' '.join(mentions[0])}', CRM says {crm_company!r}",
        )
    handle = value_of(left, "handle")
    piece = _handle_company(handle, joined)
    if piece:
        return "handle", f"handle '{handle}' ends in '{piece}', short for {crm_company!r}"
    return "no_mention", f"profile does not name {crm_company!r}"


def _two_letter_acronym(acr: str, text: str, mentions: tuple[tuple[str, ...], ...]) -> bool:
    """ "@ WG", "Director at WG", "ex-WG" for Williams-Gomez: two letters name a company
    only when introduced as an employer or written in capitals as a word of their own,
    and never when they are a common abbreviation ("Head of HR" is not Hall-Reed)."""
    if acr in vocab.TWO_LETTER_WORDS:
        return False
    return (acr,) in mentions or re.search(rf"(?<![\w.]){acr.upper()}(?![\w@])", text) is not None


def _handle_company(handle: str, joined: str) -> str:
    """The piece of a handle like "jsmith_acme" that names the company, or "".

    Only a piece after the first counts (the first is the name), and it must be the
    whole one-word company or, from 6 letters, its start ("echowork" for Echoworks).
    """
    if not handle or len(joined) < 4:
        return ""
    for p in nz.handle_pieces(handle)[1:]:
        if p == joined or (len(p) >= 6 and joined.startswith(p)):
            return p
    return ""


# ---------------------------------------------------------------- location


def location(left: Values, right: Values, rule: Comparison) -> Outcome:
    shown = value_of(left, "location", ", ")
    loc = nz.location(shown)
    city = nz.canonical_city(value_of(right, "city"))
    country = nz.canonical_country(value_of(right, "country")) or vocab.CITY_COUNTRY.get(city, "")
    if not (loc.cities or loc.countries or loc.others) or not (city or country):
        return NULL_LEVEL, "no location to compare"
    head = (
        f"location '{shown}' vs "
        f"'{', '.join(x for x in (value_of(right, 'city'), value_of(right, 'country')) if x)}'"
    )
    sim = rule.option("fuzzy_similarity")
    if city and (
        city in loc.cities
        or any(city == o or city in o.split() or jaro_winkler(city, o) >= sim for o in loc.others)
    ):
        return "city", f"{head}: same city"
    if city and loc.cities:
        return "different", f"{head}: different city"
    if country and country in loc.countries:
        return "country", f"{head}: same country"
    if country and loc.countries:
        return "different", f"{head}: different country"
    return "unknown", f"{head}: cannot tell"


def location_term(right: Values, level: str) -> str:
    """The CRM country a ``country`` agreement is on: a small country says more."""
    if level != "country":
        return ""
    city = nz.canonical_city(value_of(right, "city"))
    country = nz.canonical_country(value_of(right, "country")) or vocab.CITY_COUNTRY.get(city, "")
    return f"country:{country}" if country else ""


# ---------------------------------------------------------------- job title


@lru_cache(maxsize=16384)
def _title_said(text: str) -> tuple[tuple[str, ...], bool]:
    """Title words of a profile's text, and whether it states a job title at all.

    The role words are looked for before seniority words are dropped: "RevOps Lead"
    states a title, although "lead" is not one of its compared words.
    """
    words = nz.title_words(text)
    roles = vocab.TITLE_ROLE_WORDS
    return words, not (roles.isdisjoint(words) and roles.isdisjoint(nz.text_tokens(text)))


def title(left: Values, right: Values, rule: Comparison) -> Outcome:
    crm_title = value_of(right, "title")
    want = nz.title_words(crm_title)
    # A display name says its title after the name ("Jane Doe | CFO"); the name itself is
    # no title, even when a typo'd family name spells one ("Aisha Coo").
    said = left.get("text", ()) + tuple(
        rest for n in left.get("name", ()) if (rest := nz.parse_display_name(n).rest.strip())
    )
    text = " | ".join(said)
    if not want or not text:
        return NULL_LEVEL, "no title to compare"
    words, states_title = _title_said(text)
    k = len(want)
    head = f"title {crm_title!r}"
    if any(words[i : i + k] == want for i in range(len(words) - k + 1)):
        return "exact", f"{head} given in the profile"
    if states_title:
        return "different", f"profile states another title than {crm_title!r}"
    return "no_mention", "profile does not state a title"


# ---------------------------------------------------------------- emails and domains


def _email(value: str) -> str:
    v = value.strip().lower()
    if "@" not in v:
        return ""
    user, _, dom = v.rpartition("@")
    return f"{user.split('+', 1)[0]}@{dom}"


def email(left: Values, right: Values, rule: Comparison) -> Outcome:
    a = {e for e in map(_email, left.get("email", ())) if e}
    b = {e for e in map(_email, right.get("email", ())) if e}
    if not a or not b:
        return NULL_LEVEL, "no email on one side"
    common = a & b
    if common:
        return "exact", f"same email {sorted(common)[0]}"
    return "different", "emails differ"


def email_domain(left: Values, right: Values, rule: Comparison) -> Outcome:
    a = {d for d in map(nz.registered_domain, left.get("domains", ())) if d}
    b = {d for d in map(nz.registered_domain, right.get("domains", ())) if d}
    if not a or not b:
        return NULL_LEVEL, "no company domain on one side"
    common = a & b
    if common:
        return "exact", f"same company domain {sorted(common)[0]}"
    return "different", f"domains differ ({sorted(a)[0]} vs {sorted(b)[0]})"


def identifier(left: Values, right: Values, rule: Comparison) -> Outcome:
    platform = value_of(left, "platform")
    a = set(nz.social_ids(value_of(left, "handle"), platform)) if platform else set()
    for u in left.get("url", ()):
        a |= nz.social_ids(u)
    b: set[tuple[str, str]] = set()
    for v in right.get("x_handle", ()):
        b |= nz.social_ids(v, "x")
    for v in right.get("linkedin_url", ()):
        b |= nz.social_ids(v, "linkedin")
    if not a or not b:
        return NULL_LEVEL, "no stored identifier to compare"
    common = a & b
    if common:
        p, i = sorted(common)[0]
        return "exact", f"CRM record stores this {p} identity ({i})"
    shared = {p for p, _ in a} & {p for p, _ in b}
    if shared:
        return "different", f"CRM record stores another {sorted(shared)[0]} identity"
    return NULL_LEVEL, "identifiers are on different platforms"


# ---------------------------------------------------------------- any text value


def string(left: Values, right: Values, rule: Comparison) -> Outcome:
    return _string_outcome(
        string_prepare(left),
        string_prepare(right),
        rule.option("close_similarity"),
        rule.option("fuzzy_similarity"),
    )


def _string_outcome(a: str, b: str, close: float, fuzzy: float) -> Outcome:
    if not a or not b:
        return NULL_LEVEL, "no value on one side"
    if a == b:
        return "exact", f"same value '{a}'"
    sim = jaro_winkler(a, b)
    if sim >= close:
        return "close", f"'{a}' ~ '{b}' ({sim:.2f})"
    if sim >= fuzzy:
        return "fuzzy", f"'{a}' ~ '{b}' ({sim:.2f})"
    return "different", f"'{a}' vs '{b}'"


def string_explain(rule: Comparison) -> Callable[[str, str], Outcome]:
    """``string`` on two folded values (``string_prepare``): its level and explanation."""
    close, fuzzy = rule.option("close_similarity"), rule.option("fuzzy_similarity")

    def outcome(a: str, b: str) -> Outcome:
        return _string_outcome(a, b, close, fuzzy)

    return outcome


def string_prepare(values: Values) -> str:
    """The folded value ``string`` compares: prepared once per record by batch scoring."""
    return nz.fold(value_of(values, "value"))


def string_level(rule: Comparison) -> Callable[[str, str], str]:
    """The level ``string`` returns for two prepared values, without its explanation.

    The similarity is computed exactly as ``string`` does: rapidfuzz's ``score_cutoff``
    would be faster but can put a value lying on a band's edge on the other side.
    """
    close, fuzzy = rule.option("close_similarity"), rule.option("fuzzy_similarity")
    similarity = JaroWinkler.similarity  # what jaro_winkler calls, one call fewer per pair

    def level(a: str, b: str) -> str:
        if not a or not b:
            return NULL_LEVEL
        if a == b:
            return "exact"
        sim = similarity(a, b)
        if sim >= close:
            return "close"
        return "fuzzy" if sim >= fuzzy else "different"

    return level


def string_term(right: Values, level: str) -> str:
    """The value itself: an exact agreement on a rare value says more."""
    return f"value:{nz.fold(value_of(right, 'value'))}" if level == "exact" else ""


COMPARATORS: dict[str, CompareFn] = {
    "string": string,
    "person_name": person_name,
    "handle_name": handle_name,
    "company": company,
    "location": location,
    "email": email,
    "email_domain": email_domain,
    "identifier": identifier,
    "title": title,
}
assert set(COMPARATORS) == set(CATALOG), "catalog and implementations must agree"


@dataclass(frozen=True, slots=True)
class FastLevel:
    """A comparator's level alone, from values prepared once per record.

    Batch scoring runs these for every candidate pair; the full comparator (level *and*
    explanation) then runs only where the fast level answers ``None`` ("cannot tell
    cheaply") and for the pairs that are written out. ``bind(rule)(prepare(left),
    prepare_right(right))``, when not ``None``, must equal the comparator's level.
    ``decisive``: it always answers (never ``None``). ``explain``, when given, is the
    comparator itself on the prepared values: ``explain(rule)(prepare(left),
    prepare_right(right))`` equals ``comparator(left, right, rule)``.
    """

    prepare: Callable[[Values], object]
    prepare_right: Callable[[Values], object]
    bind: Callable[[Comparison], Callable[[Any, Any], str | None]]
    decisive: bool
    explain: Callable[[Comparison], Callable[[Any, Any], Outcome]] | None = None


FAST_LEVELS: dict[str, FastLevel] = {
    "string": FastLevel(
        string_prepare, string_prepare, string_level, decisive=True, explain=string_explain
    ),
    "person_name": FastLevel(
        person_name_prepare_left, person_name_prepare_right, person_name_level, decisive=False
    ),
}

# A right role a comparator reads only while another is empty: (role, unless role). The
# scorer leaves the first out of its per-profile memo key when the second has a value, so
# candidates that differ only there (namesakes with their own addresses) share one outcome.
READ_UNLESS: dict[str, tuple[str, str]] = {"person_name": ("email", "first_name")}

TermFn = Callable[[Values, str], str]

# Comparators with term-frequency adjustable levels: (right-hand values, level) -> term.
TERMS: dict[str, TermFn] = {
    "person_name": person_name_term,
    "string": string_term,
    "location": location_term,
}
assert {n for n, spec in CATALOG.items() if spec.tf_levels} == set(TERMS)

# (profile values, CRM values, level) -> the profile's own terms at a level where they
# differ from the CRM value's; the commoner of all is counted (see the scorer).
WrittenTermFn = Callable[[Values, Values, str], tuple[str, ...]]
WRITTEN_TERMS: dict[str, WrittenTermFn] = {"person_name": person_name_written_terms}

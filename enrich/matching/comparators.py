"""The comparators: given the values a rule routes to them, return (level, explanation).

Each function implements one entry of ``catalog.CATALOG`` and is the only place that
knows how similarity is measured (rapidfuzz for spelling, the ``nicknames`` table for
given names, unidecode via ``normalize`` for transliteration). Levels are checked in
the order of the catalog, strongest first, so the first that holds is returned.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, JaroWinkler

from enrich.matching import normalize as nz
from enrich.matching import vocab
from enrich.matching.catalog import CATALOG, NULL_LEVEL
from enrich.matching.rules import Comparison

__all__ = [
    "COMPARATORS",
    "FAST_LEVELS",
    "TERMS",
    "WRITTEN_TERMS",
    "CompareFn",
    "FastLevel",
    "Outcome",
    "TermFn",
    "Values",
    "WrittenTermFn",
]

Values = Mapping[str, tuple[str, ...]]
Outcome = tuple[str, str]
CompareFn = Callable[[Values, Values, Comparison], Outcome]


def _one(values: Values, role: str, sep: str = " ") -> str:
    vs = values.get(role, ())
    if len(vs) == 1:  # the common cases, without a generator: hot in batch runs
        return vs[0].strip()
    if not vs:
        return ""
    return sep.join(v for v in vs if v).strip()


def _similar(a: str, b: str) -> float:
    return float(JaroWinkler.similarity(a, b))


def _show(tokens: tuple[str, ...]) -> str:
    return " ".join(t.capitalize() for t in tokens)


# ---------------------------------------------------------------- person name

_FIRST_RANK = {"exact": 0, "nickname": 1, "initial": 2, "fuzzy": 3, "none": 4}


def _first_state(r: str, f: str, sim: float) -> str:
    if r == f or nz.first_name_spelling(r) == nz.first_name_spelling(f):  # Dmitrii, Dmitry
        return "exact"
    if len(r) == 1 or len(f) == 1:
        return "initial" if r[0] == f[0] else "none"
    if nz.nickname_related(r, f):
        return "nickname"
    if min(len(r), len(f)) >= 3 and _similar(r, f) >= sim:
        return "fuzzy"
    return "none"


def _locate_last(
    tokens: tuple[str, ...], last: tuple[str, ...], first: str, sim: float
) -> tuple[str, list[str], str]:
    """Find the family name among display-name tokens; return (state, rest, note)."""
    n, k = len(tokens), len(last)
    if not last:
        return "none", list(tokens), ""
    # Prefer a match that is not the first token, so "Smith Smith" style names still work
    # and a swapped order ("Smith John") is found when nothing else is.
    starts = [i for i in range(n - k + 1) if tokens[i : i + k] == last]
    if starts:
        i = next((s for s in starts if s > 0), starts[0])
        note = "name order swapped" if i == 0 and n > k else ""
        return "exact", list(tokens[:i] + tokens[i + k :]), note
    joined = "".join(last)
    for i in range(n):
        for j in range(i + 1, n + 1):
            if "".join(tokens[i:j]) == joined and (j - i > 1 or k > 1):
                return "exact", list(tokens[:i] + tokens[j:]), "family name spacing differs"
    if k > 1:
        for i, t in enumerate(tokens):
            if len(t) > 1 and t in last and i > 0:
                return "exact", list(tokens[:i] + tokens[i + 1 :]), "part of a compound family name"
    best, best_i = 0.0, -1
    for i, t in enumerate(tokens):
        if len(t) < 2 or (first and nz.nickname_related(t, first)):
            continue
        s = _similar(t, joined) if len(t) >= 3 else 0.0
        if s > best:
            best, best_i = s, i
        if s < sim and _one_typo(t, joined):
            best, best_i = 1.0, i
            break
    if best >= sim:
        return (
            "fuzzy",
            list(tokens[:best_i] + tokens[best_i + 1 :]),
            f"'{tokens[best_i]}' ~ '{joined}'",
        )
    return "none", list(tokens), ""


def _one_typo(a: str, b: str) -> bool:
    """One letter dropped, doubled, changed or swapped ("Wber", "Whitte", "Km" for Kim).

    Jaro-Winkler undervalues one slip in a short name; a single edit with the first
    letter kept is the commonest typo. Names of 3 letters need it to be a dropped one.
    """
    if a[0] != b[0] or min(len(a), len(b)) < 2 or abs(len(a) - len(b)) > 1:
        return False
    if max(len(a), len(b)) <= 3 and len(a) == len(b):
        return False
    return OSA.distance(a, b, score_cutoff=1) <= 1


def person_name(left: Values, right: Values, rule: Comparison) -> Outcome:
    shown = _one(left, "name")
    tokens = nz.parse_display_name(shown).tokens
    first_t, last_t = nz.person_name(
        _one(right, "first_name"), _one(right, "last_name"), _one(right, "full_name")
    )
    if not tokens or not (first_t or last_t):
        return NULL_LEVEL, "no name to compare on one side"
    crm = _show(first_t + last_t)
    sim = rule.option("fuzzy_similarity")
    f = first_t[0] if first_t else ""
    last_state, rest, note = _locate_last(tokens, last_t, f, sim)
    first_state, used = "none", ""
    if f and rest:
        if "".join(rest) == "".join(first_t):
            first_state, used = "exact", rest[0]
        else:
            for i, r in enumerate(rest[:2]):
                st = _first_state(r, f, sim)
                # "J. Robert Smith" goes by Robert; but in "Ryan P. Smith" the middle
                # initial does not make him P(riya): after a written-out first name
                # only another written-out name counts.
                if i and len(rest[0]) > 1 and st in {"initial", "fuzzy"}:
                    continue
                if _FIRST_RANK[st] < _FIRST_RANK[first_state]:
                    first_state, used = st, r
    head = f"'{shown}' vs '{crm}'"
    extra = f" ({note})" if note else ""
    if last_state == "exact":
        if first_state == "exact":
            return "exact", f"{head}: same name{extra}"
        if first_state == "nickname":
            return (
                "nickname",
                f"{head}: {used.capitalize()} is a nickname of {f.capitalize()}{extra}",
            )
        if first_state == "initial":
            why = f"{head}: same family name, initial {used[0].upper()}. fits {f.capitalize()}"
            return _completed(left, first_t, last_t, head, "initial", why + extra)
        if first_state == "fuzzy":
            return (
                "fuzzy",
                f"{head}: same family name, {used.capitalize()} ~ {f.capitalize()}{extra}",
            )
        if not rest or not f:
            return _completed(
                left,
                first_t,
                last_t,
                head,
                "last_name_only",
                f"{head}: only the family name is given and it agrees",
            )
        return (
            "different",
            f"{head}: same family name but first name "
            f"{rest[0].capitalize()} is not {f.capitalize()}",
        )
    if last_state == "fuzzy" and first_state in {"exact", "nickname"}:
        return _completed(
            left,
            first_t,
            last_t,
            head,
            "fuzzy",
            f"{head}: family name spelled differently ({note})",
        )
    if first_state in {"exact", "nickname"}:
        # "Bob S." ends with the family initial; in "Aisha M. Gutierrez" a family name
        # follows the initial, so it is a middle initial and does not stand for this one.
        if last_t and rest[-1] != used and rest[-1] == last_t[0][0]:
            return _completed(
                left,
                first_t,
                last_t,
                head,
                "first_name_last_initial",
                f"{head}: first name and initial of the family name agree",
                first_state,
            )
        if len(rest) == 1:
            return _completed(
                left,
                first_t,
                last_t,
                head,
                "first_name_only",
                f"{head}: only a first name is given and it agrees",
            )
    initials = _initials_only(shown, tokens)
    if initials and f and last_t:
        if initials[0] == f[0] and initials[-1] == last_t[0][0]:
            return _completed(
                left,
                first_t,
                last_t,
                head,
                "initials_only",
                f"{head}: initials {initials.upper()} fit the name",
            )
        return "different", f"{head}: initials {initials.upper()} do not fit the name"
    return "different", f"{head}: names differ"


# A display name that gives less than the full name ("J. Smith", "Bob S.", "JS") can be
# completed by the handle when the handle spells the whole name ("johnsmith42"): the two
# are then read as one full name, and the level is that of the full name.
_COMPLETABLE = frozenset(
    {
        "initial",
        "fuzzy",
        "first_name_last_initial",
        "initials_only",
        "last_name_only",
        "first_name_only",
    }
)


def _completed(
    left: Values,
    first_t: tuple[str, ...],
    last_t: tuple[str, ...],
    head: str,
    level: str,
    why: str,
    first_level: str = "",
) -> Outcome:
    """Upgrade a partial name level when the handle spells out the CRM name.

    The level already says the display name fits the CRM name as far as it goes, so a
    handle spelling the first name (or a nickname of it) and the family name completes it.
    A display name that gives the first name and only the family initial ("Liz M.",
    ``first_level`` exact or nickname) is completed by a handle that spells the family
    name with a first initial ("mullere", "msmith"): then the whole name is given.
    """
    handle = _one(left, "handle")
    if level not in _COMPLETABLE or not handle or not first_t or not last_t:
        return level, why
    f, last = first_t[0], "".join(last_t)
    pieces = nz.handle_pieces(handle)
    h = "".join(pieces)
    if len(last) < 2 or last not in h:
        return level, why
    for v in _first_variants(f):
        if v + last in h or last + v in h:
            same = nz.first_name_spelling(v) == nz.first_name_spelling(f)
            got = "exact" if same else "nickname"
            return got, f"{why}; handle '{handle}' spells out {v.capitalize()} {last.capitalize()}"
    if (
        level == "first_name_last_initial"
        and first_level in {"exact", "nickname"}
        and len(last) >= 3
    ):
        initials = {f[0]} | {v[0] for v in _first_variants(f)}
        if any(
            p[1:] == last and p[0] in initials or p[:-1] == last and p[-1] in initials
            for p in pieces
        ):
            return first_level, (
                f"{why}; handle '{handle}' spells out the family name {last.capitalize()}"
            )
    return level, why


def _initials_only(shown: str, tokens: tuple[str, ...]) -> str:
    """ "J.S.", "J S" or "JD" (two or three capitals) -> "js" / "jd"; "" for a real name."""
    if 2 <= len(tokens) <= 3 and all(len(t) == 1 for t in tokens):
        return "".join(tokens)
    if len(tokens) == 1 and 2 <= len(tokens[0]) <= 3:
        raw = next((w for w in shown.split() if nz.fold(w) == tokens[0]), "")
        if raw.isupper():
            return tokens[0]
    return ""


# What the fast level reads of each side, prepared once per record.
_NameLeft = tuple[tuple[str, ...], bool, tuple[frozenset[str], ...]]
_NameRight = tuple[tuple[str, ...], tuple[str, ...], str, str, frozenset[str]]


def person_name_prepare_left(values: Values) -> _NameLeft:
    """Display-name tokens, whether they read as initials ("J.S."), and each token's
    nickname family (``normalize.name_family``), for the fast level."""
    shown = _one(values, "name")
    tokens = nz.parse_display_name(shown).tokens
    return tokens, bool(_initials_only(shown, tokens)), tuple(map(nz.name_family, tokens))


def person_name_prepare_right(values: Values) -> _NameRight:
    """The CRM first and family name tokens, as ``person_name`` reads them; the family
    name written together, the first name and its nickname family."""
    first_t, last_t = nz.person_name(
        _one(values, "first_name"), _one(values, "last_name"), _one(values, "full_name")
    )
    f = first_t[0] if first_t else ""
    return first_t, last_t, "".join(last_t), f, nz.name_family(f)


def person_name_level(rule: Comparison) -> Callable[[_NameLeft, _NameRight], str | None]:
    """``different`` when no display-name token can meet the CRM name, else ``None``.

    Every level above ``different`` needs a token that is part of the family name, or
    spells it within the fuzzy similarity or one typo, or is the first name or a nickname
    of it (or the tokens together spell the first name), or a display name of initials.
    When none of that holds, ``person_name`` returns ``different``; most candidates
    blocked by an address or a postcode are such pairs. Anything else: ``None``.
    """
    sim = rule.option("fuzzy_similarity")
    similarity = JaroWinkler.similarity
    related = nz.nickname_related
    spelling = nz.first_name_spelling

    def level(left: _NameLeft, right: _NameRight) -> str | None:
        tokens, initials, families = left
        first_t, last_t, joined, f, family = right
        if not tokens or not (first_t or last_t) or initials:
            return None
        if f and "".join(tokens) == "".join(first_t):
            return None
        for t, t_family in zip(tokens, families, strict=True):
            if joined and (
                t in joined
                or (
                    len(t) >= 2
                    and (
                        (len(t) >= 3 and similarity(t, joined) >= sim)
                        or (t[0] == joined[0] and _one_typo(t, joined))
                    )
                )
            ):
                return None
            # nickname_related, its cheap refusal first: no name in common at all (the
            # families hold the first_name_spelling, so Dmitrii and Dmitry get past it).
            if f and (
                t == f
                or (
                    len(t) > 1
                    and len(f) > 1
                    and not t_family.isdisjoint(family)
                    and (related(t, f) or spelling(t) == spelling(f))
                )
            ):
                return None
        return "different"

    return level


def person_name_term(right: Values, level: str) -> str:
    """The CRM value a person_name level agrees on, for term-frequency adjustment.

    exact / nickname / fuzzy: the full name; initial: initial and family name;
    first_name_last_initial: first name and family initial; last_name_only: family name.
    The part before ":" says which frequency table the term is counted in.
    """
    first_t, last_t = nz.person_name(
        _one(right, "first_name"), _one(right, "last_name"), _one(right, "full_name")
    )
    if not first_t or not last_t:
        return f"last:{' '.join(last_t)}" if last_t and level == "last_name_only" else ""
    first, last = first_t[0], "".join(last_t)
    if level in {"exact", "nickname", "fuzzy"}:
        return f"full:{first} {last}"
    if level == "initial":
        return f"initial:{first[0]} {last}"
    if level == "first_name_last_initial":
        return f"first:{first} {last[0]}"
    if level == "last_name_only":
        return f"last:{last}"
    return ""


def person_name_written_terms(left: Values, right: Values, level: str) -> tuple[str, ...]:
    """The profile's own name as terms, where it is not the CRM record's: a nickname.

    "John Garcia" meets "Jonathan Garcia" at ``nickname``; the CRM name may be rare
    while the name the profile gives is common, and a common name agreeing says little.
    The scorer counts both and uses the commoner, as Splink does for levels whose two
    values differ (the greater of the two term frequencies).
    """
    if level != "nickname":
        return ()
    first_t, last_t = nz.person_name(
        _one(right, "first_name"), _one(right, "last_name"), _one(right, "full_name")
    )
    if not first_t or not last_t:
        return ()
    f, last = first_t[0], "".join(last_t)
    tokens = nz.parse_display_name(_one(left, "name")).tokens
    said = [
        f"full:{t} {last}"
        for t in tokens
        if t != f and t not in last_t and nz.nickname_related(t, f)
    ]
    if len(tokens) >= 2:  # and the name in the order written: "James Kim" read as Kim James
        said.append(f"full:{tokens[0]} {''.join(tokens[1:])}")
    return tuple(said)


# ---------------------------------------------------------------- handle vs name


@lru_cache(maxsize=65536)
def _first_variants(first: str) -> tuple[str, ...]:
    """A first name and its nickname family, the name first, then longest first.

    robert -> (robert, bobby, ..., bob, rob): the order makes an explanation name the
    spelling that is actually there rather than a shorter one inside it.

    A pet name comes with its other spellings (``normalize.diminutive_spellings``), as
    ``person_name`` reads a display name: the list has Suzie and Katy, handles say
    "suzy_w" and "katiecooper" too. Only from four letters: a three-letter one (Kay ->
    Kai) is as often a name of its own. And the name in each transliterated spelling
    (``normalize.first_name_spellings``): Dmitry's handle may say "dmitrii".
    """
    if len(first) < 2:
        return ()
    family = {
        v
        for v in nz.first_name_keys(first) | nz.nicknames_of(first) | nz.first_name_spellings(first)
        if len(v) >= 2
    }
    family |= {s for v in family if len(v) >= 4 for s in nz.diminutive_spellings(v)}
    return tuple(sorted(family, key=lambda v: (v != first, -len(v), v)))


def handle_name(left: Values, right: Values, rule: Comparison) -> Outcome:
    handle = _one(left, "handle")
    pieces = nz.handle_pieces(handle)
    first_t, last_t = nz.person_name(
        _one(right, "first_name"), _one(right, "last_name"), _one(right, "full_name")
    )
    if not pieces or not (first_t or last_t):
        return NULL_LEVEL, "no handle or no name"
    h = "".join(pieces)
    joins = {
        "".join(pieces[i:j]) for i in range(len(pieces)) for j in range(i + 1, len(pieces) + 1)
    }
    f = first_t[0] if first_t else ""
    last = "".join(last_t)
    variants = _first_variants(f)
    head = f"handle '{handle}' vs '{_show(first_t + last_t)}'"
    if last and len(last) >= 2:
        for v in variants:
            if v + last in h or last + v in h:
                return "full_name", f"{head}: spells out the name"
        if f and (f[0] + last in joins or last + f[0] in joins):
            return "initial_last", f"{head}: initial and family name"
        for v in variants:
            if v + last[0] in joins:
                return "first_last_initial", f"{head}: first name and family initial"
        if len(last) >= 4 and last in h:
            return "last_name", f"{head}: contains the family name"
    for v in variants:
        if len(v) >= 3 and v in joins:
            return "first_name", f"{head}: contains the first name"
    return "different", f"{head}: not built from the name"


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


def company(left: Values, right: Values, rule: Comparison) -> Outcome:
    crm_company = _one(right, "company")
    core, joined, spelled, acr = _crm_company(crm_company)
    text = _one(left, "text", " | ")
    said = _said(text, left.get("domains", ()))
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
    handle = _one(left, "handle")
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
    shown = _one(left, "location", ", ")
    loc = nz.location(shown)
    city = nz.canonical_city(_one(right, "city"))
    country = nz.canonical_country(_one(right, "country")) or vocab.CITY_COUNTRY.get(city, "")
    if not (loc.cities or loc.countries or loc.others) or not (city or country):
        return NULL_LEVEL, "no location to compare"
    head = (
        f"location '{shown}' vs "
        f"'{', '.join(x for x in (_one(right, 'city'), _one(right, 'country')) if x)}'"
    )
    sim = rule.option("fuzzy_similarity")
    if city and (
        city in loc.cities
        or any(city == o or city in o.split() or _similar(city, o) >= sim for o in loc.others)
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
    city = nz.canonical_city(_one(right, "city"))
    country = nz.canonical_country(_one(right, "country")) or vocab.CITY_COUNTRY.get(city, "")
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
    crm_title = _one(right, "title")
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
    platform = _one(left, "platform")
    a = set(nz.social_ids(_one(left, "handle"), platform)) if platform else set()
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
    sim = _similar(a, b)
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
    return nz.fold(_one(values, "value"))


def string_level(rule: Comparison) -> Callable[[str, str], str]:
    """The level ``string`` returns for two prepared values, without its explanation.

    The similarity is computed exactly as ``string`` does: rapidfuzz's ``score_cutoff``
    would be faster but can put a value lying on a band's edge on the other side.
    """
    close, fuzzy = rule.option("close_similarity"), rule.option("fuzzy_similarity")
    similarity = JaroWinkler.similarity  # what _similar calls, one call fewer per pair

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
    return f"value:{nz.fold(_one(right, 'value'))}" if level == "exact" else ""


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

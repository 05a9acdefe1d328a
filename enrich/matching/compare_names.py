"""The name comparator: a display name (``person_name``) against the CRM's first and last
name (the handle comparator is ``compare_handles``).

Nicknames come from the ``nicknames`` table, transliteration and spelling skeletons from
``normalize``, spelling similarity from rapidfuzz. Levels are checked in the order of the
catalog, strongest first, so the first that holds is returned.
"""

from __future__ import annotations

from collections.abc import Callable

from rapidfuzz.distance import OSA, JaroWinkler

from enrich.matching import given_names as gn
from enrich.matching import normalize as nz
from enrich.matching import scripts as sc
from enrich.matching.catalog import NULL_LEVEL
from enrich.matching.compare_handles import first_variants
from enrich.matching.compare_util import Outcome, Values, capitalized, jaro_winkler, value_of
from enrich.matching.comparison import Comparison

__all__ = [
    "person_name",
    "person_name_level",
    "person_name_prepare_left",
    "person_name_prepare_right",
    "person_name_term",
    "person_name_written_terms",
]


# ---------------------------------------------------------------- person name

_FIRST_RANK = {"exact": 0, "nickname": 1, "initial": 2, "fuzzy": 3, "none": 4}


def _first_state(r: str, f: str, sim: float) -> str:
    if r == f or gn.first_name_spelling(r) == gn.first_name_spelling(f):  # Dmitrii, Dmitry
        return "exact"
    if len(r) == 1 or len(f) == 1:
        return "initial" if r[0] == f[0] else "none"
    if gn.nickname_related(r, f):
        return "nickname"
    if min(len(r), len(f)) >= 3 and jaro_winkler(r, f) >= sim:
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
        if len(t) < 2 or (first and gn.nickname_related(t, first)):
            continue
        s = jaro_winkler(t, joined) if len(t) >= 3 else 0.0
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
    shown = value_of(left, "name")
    tokens = nz.parse_display_name(shown).tokens
    first_t, last_t = nz.person_name(
        value_of(right, "first_name"), value_of(right, "last_name"), value_of(right, "full_name")
    )
    if not (first_t or last_t):
        return NULL_LEVEL, "no name to compare on one side"
    from_email = ""
    if not first_t and last_t:  # an empty first-name field: the address may spell it
        from_email = nz.first_name_from_email(value_of(right, "email"), last_t)
        first_t = (from_email,) if from_email else ()
    crm = capitalized(first_t + last_t)
    if not tokens:  # "🚀✨": the name, if anywhere, is in the handle
        return _handle_as_name(left, first_t, last_t, crm) or (
            NULL_LEVEL,
            "no name to compare on one side",
        )
    read = sc.read_as(shown, first_t + last_t) if sc.has_native(shown) else ()
    if read:  # "حسن المصري": each word in the CRM's spelling where it is one of its own
        tokens = read
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
    if read:
        head = f"'{shown}' (read as '{capitalized(read)}') vs '{crm}'"
    if from_email:
        head += f" (first name from the email {value_of(right, 'email')})"
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
        if rest and not f:
            return (
                "no_first_name",
                f"{head}: the CRM record has no first name; the family name agrees{extra}",
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
        if last_t:
            # "Anna Keller" for Anna Schmidt: a married name, or another Anna. Weak, but
            # not the -9 of two different names: with her employer and city it is worth
            # a reviewer's look.
            return (
                "other_family_name",
                f"{head}: same first name, family name {rest[-1].capitalize()} is not "
                f"{' '.join(last_t).title()}",
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
    handle = value_of(left, "handle")
    if level not in _COMPLETABLE or not handle or not first_t or not last_t:
        return level, why
    f, last = first_t[0], "".join(last_t)
    pieces = nz.handle_pieces(handle)
    h = "".join(pieces)
    if len(last) < 2 or last not in h:
        return level, why
    for v in first_variants(f):
        if v + last in h or last + v in h:
            same = gn.first_name_spelling(v) == gn.first_name_spelling(f)
            got = "exact" if same else "nickname"
            return got, f"{why}; handle '{handle}' spells out {v.capitalize()} {last.capitalize()}"
    if (
        level == "first_name_last_initial"
        and first_level in {"exact", "nickname"}
        and len(last) >= 3
    ):
        initials = {f[0]} | {v[0] for v in first_variants(f)}
        if any(
            p[1:] == last and p[0] in initials or p[:-1] == last and p[-1] in initials
            for p in pieces
        ):
            return first_level, (
                f"{why}; handle '{handle}' spells out the family name {last.capitalize()}"
            )
    return level, why


def _handle_as_name(
    left: Values, first_t: tuple[str, ...], last_t: tuple[str, ...], crm: str
) -> Outcome | None:
    """A display name with no name in it ("🚀✨"), read from a handle that spells the
    name ("jeffrey_rodriguez", "bob.smith": the name or a nickname of it; "tmurdock": the
    initial), as a person reads it; None when the handle does not spell this name."""
    handle = value_of(left, "handle")
    if not handle or not first_t or not last_t:
        return None
    f, last = first_t[0], "".join(last_t)
    pieces = nz.handle_pieces(handle)
    h = "".join(pieces)
    if len(last) < 3 or last not in h:
        return None
    head = f"no name shown; handle '{handle}' vs '{crm}'"
    for v in first_variants(f):
        if v + last in h or last + v in h:
            same = gn.first_name_spelling(v) == gn.first_name_spelling(f)
            return (
                "exact" if same else "nickname"
            ), f"{head}: spells out {v.title()} {last.title()}"
    if any(p in {f[0] + last, last + f[0]} for p in pieces) or h in {f[0] + last, last + f[0]}:
        return "initial", f"{head}: initial {f[0].upper()}. and the family name"
    return None


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
    """Display-name tokens, whether the fast level must leave the pair to ``person_name``
    (initials, "J.S."; a name in another script, read against each CRM name), and each
    token's nickname family (``given_names.name_family``)."""
    shown = value_of(values, "name")
    tokens = nz.parse_display_name(shown).tokens
    undecided = bool(_initials_only(shown, tokens)) or bool(sc.readings(shown))
    return tokens, undecided, tuple(map(gn.name_family, tokens))


def person_name_prepare_right(values: Values) -> _NameRight:
    """The CRM first and family name tokens, as ``person_name`` reads them; the family
    name written together, the first name and its nickname family."""
    first_t, last_t = nz.person_name(
        value_of(values, "first_name"), value_of(values, "last_name"), value_of(values, "full_name")
    )
    if not first_t and last_t:  # as ``person_name`` reads it: from the address
        from_email = nz.first_name_from_email(value_of(values, "email"), last_t)
        first_t = (from_email,) if from_email else ()
    f = first_t[0] if first_t else ""
    return first_t, last_t, "".join(last_t), f, gn.name_family(f)


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
    related = gn.nickname_related
    spelling = gn.first_name_spelling

    def level(left: _NameLeft, right: _NameRight) -> str | None:
        tokens, undecided, families = left
        first_t, last_t, joined, f, family = right
        if not tokens or not (first_t or last_t) or undecided:
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
        value_of(right, "first_name"), value_of(right, "last_name"), value_of(right, "full_name")
    )
    if not first_t or not last_t:
        if last_t and level in {"last_name_only", "no_first_name"}:
            return f"last:{''.join(last_t)}"
        return ""
    first, last = first_t[0], "".join(last_t)
    if level in {"exact", "nickname", "fuzzy"}:
        return f"full:{first} {last}"
    if level == "initial":
        return f"initial:{first[0]} {last}"
    if level == "first_name_last_initial":
        return f"first:{first} {last[0]}"
    if level in {"last_name_only", "no_first_name"}:
        # Counted over every record, with a first name or not: how common the family
        # name is in the mirror, which is what a family name alone agreeing is worth.
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
        value_of(right, "first_name"), value_of(right, "last_name"), value_of(right, "full_name")
    )
    if not first_t or not last_t:
        return ()
    f, last = first_t[0], "".join(last_t)
    tokens = nz.parse_display_name(value_of(left, "name")).tokens
    said = [
        f"full:{t} {last}"
        for t in tokens
        if t != f and t not in last_t and gn.nickname_related(t, f)
    ]
    if len(tokens) >= 2:  # and the name in the order written: "James Kim" read as Kim James
        said.append(f"full:{tokens[0]} {''.join(tokens[1:])}")
    return tuple(said)

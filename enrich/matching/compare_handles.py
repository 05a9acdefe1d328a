"""The handle comparator (``handle_name``): a handle against the name it may be built from
(jsmith, john.smith, smithj, johnsmith42, bob_s, jsmith_acme), and the first-name variants
(``first_variants``) the name comparator also reads handles with.
"""

from __future__ import annotations

from functools import lru_cache

from enrich.matching import given_names as gn
from enrich.matching import normalize as nz
from enrich.matching.catalog import NULL_LEVEL
from enrich.matching.compare_util import Outcome, Values, capitalized, value_of
from enrich.matching.comparison import Comparison

__all__ = ["first_variants", "handle_name"]


@lru_cache(maxsize=65536)
def first_variants(first: str) -> tuple[str, ...]:
    """A first name and its nickname family, the name first, then longest first.

    robert -> (robert, bobby, ..., bob, rob): the order makes an explanation name the
    spelling that is actually there rather than a shorter one inside it.

    A pet name comes with its other spellings (``given_names.diminutive_spellings``), as
    ``person_name`` reads a display name: the list has Suzie and Katy, handles say
    "suzy_w" and "katiecooper" too. Only from four letters: a three-letter one (Kay ->
    Kai) is as often a name of its own. And the name in each transliterated spelling
    (``given_names.first_name_spellings``): Dmitry's handle may say "dmitrii".
    """
    if len(first) < 2:
        return ()
    family = {
        v
        for v in gn.first_name_keys(first) | gn.nicknames_of(first) | gn.first_name_spellings(first)
        if len(v) >= 2
    }
    family |= {s for v in family if len(v) >= 4 for s in gn.diminutive_spellings(v)}
    return tuple(sorted(family, key=lambda v: (v != first, -len(v), v)))


def handle_name(left: Values, right: Values, rule: Comparison) -> Outcome:
    handle = value_of(left, "handle")
    pieces = nz.handle_pieces(handle)
    first_t, last_t = nz.person_name(
        value_of(right, "first_name"), value_of(right, "last_name"), value_of(right, "full_name")
    )
    if not pieces or not (first_t or last_t):
        return NULL_LEVEL, "no handle or no name"
    head = f"handle '{handle}' vs '{capitalized(first_t + last_t)}'"
    level, why = _handle_level(pieces, first_t, last_t)
    if level in _HANDLE_WEAK and first_t and len(first_t) == 1 and last_t:
        # A CRM record with first and family name in each other's field (Wilson,
        # Johnnie) is read the way round the handle ("jwilson") spells it.
        swapped, swapped_why = _handle_level(pieces, last_t, first_t)
        if _HANDLE_RANK[swapped] < _HANDLE_RANK[level]:
            return swapped, f"{head}: {swapped_why} (the CRM's first and family name swapped)"
    return level, f"{head}: {why}"


_HANDLE_RANK = {
    lv: i
    for i, lv in enumerate(
        ("full_name", "initial_last", "first_last_initial", "last_name", "first_name", "different")
    )
}
_HANDLE_WEAK = frozenset({"last_name", "first_name", "different"})


def _handle_level(
    pieces: tuple[str, ...], first_t: tuple[str, ...], last_t: tuple[str, ...]
) -> tuple[str, str]:
    h = "".join(pieces)
    joins = {
        "".join(pieces[i:j]) for i in range(len(pieces)) for j in range(i + 1, len(pieces) + 1)
    }
    f = first_t[0] if first_t else ""
    last = "".join(last_t)
    variants = first_variants(f)
    if last and len(last) >= 2:
        for v in variants:
            if v + last in h or last + v in h:
                return "full_name", "spells out the name"
        if f and (f[0] + last in joins or last + f[0] in joins):
            return "initial_last", "initial and family name"
        for v in variants:
            if v + last[0] in joins:
                return "first_last_initial", "first name and family initial"
        if len(last) >= 4 and last in h:
            return "last_name", "contains the family name"
    for v in variants:
        if len(v) >= 3 and v in joins:
            return "first_name", "contains the first name"
    return "different", "not built from the name"

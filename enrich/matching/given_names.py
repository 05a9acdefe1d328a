"""Given names: nicknames, pet-name spellings and transliterated spellings.

Bob on X is Robert in the CRM, Suzy is Suzie, Dmitrii is Dmitry: these functions say
which first names may be the same person's, from the ``nicknames`` package's table and a
few spelling rules. Pure functions of folded names, cached.
"""

from __future__ import annotations

import csv
from functools import cache, lru_cache
from importlib.util import find_spec
from pathlib import Path

__all__ = [
    "canonicals_of",
    "diminutive_spellings",
    "first_name_keys",
    "first_name_spelling",
    "first_name_spellings",
    "name_family",
    "nickname_related",
    "nicknames_of",
]

# Entries per memoised function, as in ``normalize``: names repeat, strangers are endless.
_CACHE = 8192

_Lookup = dict[str, frozenset[str]]


@cache
def _nickname_tables() -> tuple[_Lookup, _Lookup]:
    """(name -> its nicknames, nickname -> the names it shortens): the ``has_nickname``
    rows of the ``nicknames`` package's table, as its ``NickNamer`` reads them.

    The table is read from the package's names.csv (the data it documents: see
    ``nicknames.with_names_csv_path``) without importing the package: its ``__init__``
    looks up its own version through ``importlib.metadata``, ~15 ms of every
    ``enrich match`` run spent on importing what the lookup does not use.
    """
    spec = find_spec("nicknames")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the nicknames package is not installed", name="nicknames")
    path = Path(next(iter(spec.submodule_search_locations)), "names.csv")
    nicks: dict[str, set[str]] = {}
    canonicals: dict[str, set[str]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh)
        next(rows)  # the header
        for name, relationship, nick in rows:
            if relationship == "has_nickname":
                name, nick = name.lower().strip(), nick.lower().strip()
                nicks.setdefault(name, set()).add(nick)
                canonicals.setdefault(nick, set()).add(name)
    return (
        {k: frozenset(v) for k, v in nicks.items()},
        {k: frozenset(v) for k, v in canonicals.items()},
    )


def nicknames_of(name: str) -> frozenset[str]:
    """The known nicknames of a name ("robert" -> {bob, rob, bobby, ...})."""
    return _nickname_tables()[0].get(name.lower().strip(), frozenset())


def canonicals_of(name: str) -> frozenset[str]:
    """The names a nickname is known to shorten ("bob" -> {robert, ...})."""
    return _nickname_tables()[1].get(name.lower().strip(), frozenset())


_DIMINUTIVE_ENDINGS = ("ie", "ey", "y", "i")


@lru_cache(maxsize=_CACHE)
def diminutive_spellings(name: str) -> frozenset[str]:
    """A pet name with its other spellings of the same sound: "suzy" -> {suzy, suzie, suzi, suzey}.

    Nickname lists record one or two spellings of each diminutive ("suzie", "katy");
    people write the others too ("Suzy", "Katie").
    """
    for end in _DIMINUTIVE_ENDINGS:
        stem = name[: -len(end)]
        if name.endswith(end) and len(stem) >= 2:
            return frozenset(stem + e for e in _DIMINUTIVE_ENDINGS)
    return frozenset({name})


_TRANSLITERATED_ENDINGS = frozenset({"ii", "iy", "ij"})
_J_ENDINGS = frozenset({"ej", "aj"})
# Юрий: the one common "-ий" first name too short for the single -i rule.
_SHORT_SLAVIC_I = frozenset({"yuri"})


@lru_cache(maxsize=_CACHE)
def first_name_spelling(name: str) -> str:
    """One spelling of a first name's transliterated "-ий", "-ей" or "-ай", the one in
    -y: "dmitrii", "dmitriy", "dmitrij", "dmitri" -> "dmitry"; "andrei", "andrej" ->
    "andrey"; "nikolai", "nikolaj" -> "nikolay"; any other name as it is.

    unidecode writes Дмитрий, Андрей, Николай as "Dmitrii", "Andrei", "Nikolai"; people
    write Dmitriy, Dmitrij, Dmitri or Dmitry, Andrey or Andrej: two first names with the
    same spelling are the same name (``person_name`` exact). The rule:

    - -ii/-iy/-ij -> -y in names of five letters or more ("yurii" -> "yury"). English
      names do not end so: a name in -y ("Mary", "Rudy") only meets a spelling that
      really has one ("Marii").
    - a final -i -> -y (so -ei, -ai too) and -ej/-aj -> -ey/-ay in names of six letters
      or more. At that length a name's -i and -y spellings are one name (Sergei/Sergey,
      Giovanni/Giovanny, Tiffani/Tiffany); shorter ones are often two (Toni/Tony,
      Mari/Mary, Henri/Henry, Emili/Emily, Kai/Kay, Eli/Ely), or a name and no name
      (Mei), and stay nickname-related spellings at most (``diminutive_spellings``).
    - "yuri" -> "yury" alone of the shorter ones (``_SHORT_SLAVIC_I``).

    First names only; family names (-skii/-skiy/-sky) are compared as written.
    """
    if len(name) >= 5 and name[-2:] in _TRANSLITERATED_ENDINGS:
        return name[:-2] + "y"
    if name in _SHORT_SLAVIC_I or (len(name) >= 6 and (name[-1] == "i" or name[-2:] in _J_ENDINGS)):
        return name[:-1] + "y"
    return name


@lru_cache(maxsize=_CACHE)
def first_name_spellings(name: str) -> frozenset[str]:
    """Every way of writing a first name that ``first_name_spelling`` reads as it:
    "dmitry" -> {dmitry, dmitri, dmitrii, dmitriy, dmitrij}; "mary" -> {mary, marii,
    mariy, marij}; "andrei" -> {andrey, andrei, andrej, ...}.

    A handle is written in one of them ("dmitrii_ivanov"): the handle has to be read in
    each to agree with the name comparator, which takes them all as the same name.
    """
    one = first_name_spelling(name)
    if one[-1:] != "y":
        return frozenset({name})
    stem = one[:-1]
    written = (stem + end for end in ("y", "i", "j", "ii", "iy", "ij"))
    return frozenset(w for w in written if first_name_spelling(w) == one) | {name}


@lru_cache(maxsize=_CACHE)
def first_name_keys(first: str) -> frozenset[str]:
    """The name, its spelling and its canonical forms: "bob" -> {bob, robert, bobby, bert};
    "dmitrii" -> {dmitrii, dmitry} (``first_name_spelling``).

    Two first names that share a key may be the same person's; this is what blocking
    indexes, so Bob on X finds Robert in the CRM and the other way round.
    """
    if len(first) < 2:
        return frozenset({first})
    return frozenset({first, first_name_spelling(first)}).union(
        *map(canonicals_of, diminutive_spellings(first))
    )


def nickname_related(a: str, b: str) -> bool:
    """True when one is a known nickname of the other or both shorten the same name.

    The shared name must be at least as long as either: the nickname list relates
    names in both directions, so Robert and William share "bill" (each is listed as a
    form of it), yet neither shortens Bill; Bob and Rob both shorten Robert.
    """
    if a == b:
        return True
    if len(a) < 2 or len(b) < 2:
        return False
    # Most pairs of names share no spelling, nickname or canonical name at all: that
    # is settled from two cached sets, without caching the pair.
    if name_family(a).isdisjoint(name_family(b)):
        return False
    return _nickname_related(a, b)


@lru_cache(maxsize=_CACHE)
def name_family(name: str) -> frozenset[str]:
    """Every name ``nickname_related`` may find in common with another one: two names
    whose families are disjoint are not related."""
    if len(name) < 2:
        return frozenset()
    return diminutive_spellings(name) | _nicknames(name) | first_name_keys(name)


@lru_cache(maxsize=_CACHE)
def _nickname_related(a: str, b: str) -> bool:
    sa, sb = diminutive_spellings(a), diminutive_spellings(b)
    if sa & sb or _nicknames(a) & sb or _nicknames(b) & sa:
        return True
    shared = first_name_keys(a) & first_name_keys(b)
    return bool(shared) and max(map(len, shared)) >= max(len(a), len(b))


@lru_cache(maxsize=_CACHE)
def _nicknames(name: str) -> frozenset[str]:
    """Known nicknames of a name under any of its spellings."""
    return frozenset().union(*map(nicknames_of, diminutive_spellings(name)))

"""Candidate selection: an inverted index from blocking keys to CRM records.

A profile is compared only with the records that share at least one key with it
(a name-pair, an initial and family name, a first name and family initial, a handle split,
a company with a name part, an email, a domain, a stored identifier; an initial and family
name in a city), ranked by how many keys they share. Keys
whose posting list grows past ``max_postings`` ("n:john|smth" in a large mirror) are
dropped: they select too many people to be worth comparing.

Memory is what limits this at a million records, so the index stores no strings: a key
is its 64-bit ``hash`` (salted per process; the index is never persisted, and a rare
collision only adds a candidate that the scorer then rejects), a single posting is a
bare ``int`` and longer ones are compact ``array('i')``.
"""

from __future__ import annotations

import heapq
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import cache

from enrich.matching import given_names as gn
from enrich.matching import normalize as nz
from enrich.matching import scripts as sc
from enrich.matching.profile import EXTRA_PREFIX, Person, Profile, field_getter
from enrich.matching.rules import EXACT_KEY, EXACT_KEY_JOIN, Blocking

__all__ = ["BlockingIndex", "person_keys", "profile_keys", "rematch_keys"]

_STOPPED = -1  # posting list over the cap: the key is ignored from then on
# Exact identifiers and emails must always reach the scorer, whatever else matches.
_STRONG = ("id:", "e:")
_STRONG_HITS = 1000
# A record without a first name shares no first-name, initial or place key with a profile
# of its person: its family-name key counts for the three a namesake with a first name
# shares, or namesakes would crowd it out of the candidates.
_LAST_ONLY_HITS = 3


def _last_skeletons(last: tuple[str, ...]) -> set[str]:
    out = {nz.skeleton(t) for t in last if len(t) >= 2}
    if len(last) > 1:
        out.add(nz.skeleton("".join(last)))
    return out


def _name_pair_keys(first: str, last_sk: str, families: tuple[str, ...], out: set[str]) -> None:
    if "name" in families and len(first) >= 2:
        out.update(f"n:{fk}|{last_sk}" for fk in gn.first_name_keys(first))
    if "initial" in families or "handle" in families:
        out.add(f"i:{first[0]}|{last_sk}")


def _first_initial_keys(first: str, last_initial: str, out: set[str]) -> None:
    """ "Bob S.": the canonical first names with the family initial (fl:robert|s)."""
    if len(first) >= 2:
        out.update(f"fl:{fk}|{last_initial}" for fk in gn.first_name_keys(first))


@cache
def _exact_fields(family: str) -> tuple[str, ...]:
    """The fields of an exact:<field>[+<field>...] key family; () for other families."""
    if not family.startswith(EXACT_KEY):
        return ()
    return tuple(family[len(EXACT_KEY) :].split(EXACT_KEY_JOIN))


@cache
def _exact_plan(families: tuple[str, ...]) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """The exact key families with, for each field, (extra name, field name): the extra
    name is "" for a named field."""
    return tuple(
        (
            fam,
            tuple(
                (f[len(EXTRA_PREFIX) :] if f.startswith(EXTRA_PREFIX) else "", f) for f in fields
            ),
        )
        for fam in families
        if (fields := _exact_fields(fam))
    )


def _exact_keys(record: Profile | Person, families: tuple[str, ...], out: set[str]) -> None:
    """exact:<field>[+<field>...]: the folded values, only when every one is present."""
    plan = _exact_plan(families)
    if not plan:
        return
    extra = dict(reversed(record.extra))  # the first of a repeated name, as field_getter
    fold = nz.fold
    folded: dict[str, str] = {}  # a field is in several families ("any two of seven": 21)
    for fam, fields in plan:
        values = []
        for x, f in fields:
            v = folded.get(f)
            if v is None:
                v = folded[f] = fold(extra.get(x, "") if x else field_getter(f)(record))
            values.append(v)
        if all(values):
            out.add(f"x:{fam}:{'|'.join(values)}")


def _place_keys(place: str, out: set[str]) -> None:
    """An initial and family name in a city (p:j|smth|london), from the i: keys.

    "J. Smith" or `jsmith` shares an i: key with every J. Smith, Smyth and Schmidt of the
    mirror: when they are more than ``max_candidates``, the ones in the profile's city rank
    first instead of being cut for being newer records; and in a mirror so large that the
    i: key is over ``max_postings``, this key still reaches them.
    """
    cities = nz.location(place).cities if place else ()
    if cities:
        out.update([f"p:{k[2:]}|{c}" for k in out if k.startswith("i:") for c in cities])


def person_keys(p: Person, families: tuple[str, ...]) -> set[str]:
    """Blocking keys of a CRM record."""
    out: set[str] = set()
    _exact_keys(p, families, out)
    first_t, last_t = nz.person_name(p.first_name, p.last_name, p.full_name)
    first = first_t[0] if first_t else nz.first_name_from_email(p.email, last_t)
    skels = _last_skeletons(last_t)
    if not first_t and "name" in families:
        # No first name: none of the name keys below. Its family name alone is a key of
        # its own that only such records hold (few), counted as the keys it cannot share.
        out.update(f"lo:{sk}" for sk in skels)
    if first and (set(families) & {"name", "initial", "handle"}):
        fams = families if "handle" not in families else (*families, "name")
        for sk in skels:
            _name_pair_keys(first, sk, fams, out)
        if "initial" in families and last_t:
            _first_initial_keys(first, last_t[0][0], out)
        if "place" in families:
            _place_keys(p.city, out)
    if "identifier" in families:
        ids = nz.social_ids(p.twitter_handle, "x") | nz.social_ids(p.linkedin_url, "linkedin")
        out.update(f"id:{pl}:{i}" for pl, i in ids)
    if "email" in families and "@" in p.email:
        out.add(f"e:{p.email.strip().lower()}")
    if "domain" in families:
        d = nz.registered_domain(p.email)
        if d:
            out.add(f"d:{d}")
    if "company" in families:
        core = nz.company_core(p.company)
        if core:
            ck = core[0] if len(core[0]) >= 3 else "".join(core)
            if first:
                out.update(f"cf:{ck}|{fk}" for fk in gn.first_name_keys(first))
            out.update(f"cl:{ck}|{sk}" for sk in skels)
    return out


def _handle_splits(piece: str) -> Iterator[tuple[str, str]]:
    """(first, last) readings of a handle piece: jsmith -> (j, smith), smithj -> (j, smith)."""
    for k in range(1, len(piece)):
        a, b = piece[:k], piece[k:]
        if len(b) >= 2:
            yield a, b
        if len(a) >= 2:
            yield b, a


def profile_keys(pr: Profile, families: tuple[str, ...]) -> set[str]:
    """Blocking keys of a social profile."""
    out: set[str] = set()
    _exact_keys(pr, families, out)
    tokens = nz.parse_display_name(pr.display_name).tokens[:4]
    # A name in another script: its words in each of their Latin spellings too.
    native = sc.blocking_readings(pr.display_name) if sc.has_native(pr.display_name) else ()
    if "name" in families or "initial" in families:
        for reading in (tokens, *(r[:4] for r in native)):
            for i, a in enumerate(reading):
                for j, b in enumerate(reading):
                    if i != j and len(b) >= 2:
                        _name_pair_keys(a, nz.skeleton(b), families, out)
                    elif "initial" in families and j == i + 1 and len(b) == 1:
                        _first_initial_keys(a, b, out)
        if "name" in families:
            out.update(f"lo:{nz.skeleton(t)}" for t in tokens if len(t) >= 2)
    pieces = tuple(p for p in nz.handle_pieces(pr.handle) if len(p) <= 24)
    if "handle" in families and pieces:
        readings = list(pieces) + (["".join(pieces)] if len(pieces) > 1 else [])
        for piece in readings:
            for a, b in _handle_splits(piece):
                _name_pair_keys(a, nz.skeleton(b), ("name", "initial"), out)
        if "initial" in families and len(pieces) >= 2 and len(pieces[-1]) == 1:
            _first_initial_keys(pieces[-2], pieces[-1], out)  # bob_s
    if "place" in families:
        _place_keys(pr.location, out)
    if "identifier" in families:
        ids = set(nz.social_ids(pr.url))
        if pr.platform:
            ids |= nz.social_ids(pr.handle, pr.platform)
        out.update(f"id:{pl}:{i}" for pl, i in ids)
    if "email" in families and "@" in pr.email:
        out.add(f"e:{pr.email.strip().lower()}")
    domains = {d for d in map(nz.registered_domain, (pr.website, pr.url, pr.email)) if d}
    if "domain" in families:
        out.update(f"d:{d}" for d in domains)
    if "company" in families:
        rest = nz.parse_display_name(pr.display_name).rest
        words = list(nz.text_tokens(f"{pr.bio} {rest}"))
        cos = {w for w in words if len(w) >= 3}
        cos.update(a + b for a, b in zip(words, words[1:], strict=False) if len(a) < 3)
        cos.update(nz.domain_label(d) for d in domains)
        cos.update(p for p in pieces[1:] if len(p) >= 3)  # jsmith_acme
        names = set(tokens) | {t for r in native for t in r} | {p for p in pieces if len(p) >= 2}
        firsts = {fk for n in names if len(n) >= 2 for fk in gn.first_name_keys(n)}
        lasts = {nz.skeleton(n) for n in names if len(n) >= 2}
        for c in cos:
            out.update(f"cf:{c}|{fk}" for fk in firsts)
            out.update(f"cl:{c}|{sk}" for sk in lasts)
    return out


_REMATCH = ("i:", "fl:", "e:", "id:", "d:", "x:")


def rematch_keys(keys: Iterable[str]) -> set[str]:
    """The few of a record's or profile's keys under which a change to a CRM record reaches
    the profiles it could now be a candidate for (``enrich.linking`` stores a profile's).

    An initial and family name stands for every name pair ("n:robert|smth" gives
    "i:r|smth", so Bob Smith meets Robert), and the first-name-and-initial, email, domain,
    identifier and exact keys are kept as they are. Company keys are left out: ~40 of a
    profile's ~90 keys, for the rare person reached through nothing else. Coarser than the
    index, so a change re-matches a few more profiles than it can alter, never fewer
    through a name.
    """
    out: set[str] = set()
    for k in keys:
        if k.startswith("n:"):
            first, _, sk = k[2:].partition("|")
            out.add(f"i:{first[:1]}|{sk}")
        elif k.startswith(_REMATCH):
            out.add(k)
    return out


class BlockingIndex:
    """Inverted index: key hash -> record numbers (positions in the people list)."""

    def __init__(self, config: Blocking) -> None:
        self.config = config
        self._postings: dict[int, int | array[int]] = {}
        self.size = 0

    def add(self, number: int, keys: Iterable[str]) -> None:
        """Index one record under its keys (each key once per record)."""
        self.add_hashes(number, map(hash, keys))

    def add_hashes(self, number: int, hashes: Iterable[int]) -> None:
        """Index one record under the ``hash`` of its keys (computed in this process or
        in one forked from it: the same salt)."""
        cap = self.config.max_postings
        postings = self._postings
        for h in hashes:
            cur = postings.get(h)
            if cur is None:
                postings[h] = number
            elif isinstance(cur, int):
                if cur in (_STOPPED, number):
                    continue
                postings[h] = array("i", (cur, number)) if cap >= 2 else _STOPPED
            elif len(cur) >= cap:
                postings[h] = _STOPPED  # free the list: this key is too common to help
            else:
                cur.append(number)
        self.size = max(self.size, number + 1)

    def build(self, people: Iterable[Person], keys_of: Callable[[Person], set[str]]) -> None:
        """Index every record, numbering them in order."""
        for n, p in enumerate(people, start=self.size):
            self.add(n, keys_of(p))

    def candidates(self, keys: Iterable[str]) -> list[int]:
        """Record numbers sharing keys with a query, most shared keys first, capped."""
        hits: Counter[int] = Counter()
        postings = self._postings
        for key in keys:
            cur = postings.get(hash(key))
            if cur is None or cur == _STOPPED:
                continue
            bonus = (
                _STRONG_HITS
                if key.startswith(_STRONG)
                else _LAST_ONLY_HITS
                if key.startswith("lo:")
                else 1
            )
            if isinstance(cur, int):
                hits[cur] += bonus
            elif bonus == 1:
                hits.update(cur)  # counted in C
            else:
                for n in cur:
                    hits[n] += bonus
        # Most shared keys first, then the older record: a partial selection, not a sort,
        # since a common name in a large mirror hits thousands of records; a few hits are
        # sorted (twice, stably: by number, then by count, with keys in C).
        cap = self.config.max_candidates
        if len(hits) <= 4 * cap:
            return sorted(sorted(hits), key=hits.__getitem__, reverse=True)[:cap]
        ranked = heapq.nsmallest(cap, hits.items(), key=lambda kv: (-kv[1], kv[0]))
        return [n for n, _ in ranked]

    def stats(self) -> dict[str, int]:
        """Counts for benchmarks and health pages."""
        stopped = sum(1 for v in self._postings.values() if isinstance(v, int) and v == _STOPPED)
        return {"records": self.size, "keys": len(self._postings), "stopped_keys": stopped}

"""Cleaning of the noisy strings people type: display names, handles, companies, places.

Everything here is a pure function of its input and cached, because the same profile
is compared with tens of candidates and the same CRM names recur across profiles.
Folding (NFKC, then transliteration by unidecode, then lower-case ASCII) is applied to
both sides alike, so "José", "JOSE" and "𝐉𝐨𝐬𝐞́" meet on "jose".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from unidecode import unidecode

from enrich.matching import given_names as gn
from enrich.matching import vocab

__all__ = [
    "Location",
    "ParsedName",
    "acronym",
    "canonical_city",
    "canonical_country",
    "company_core",
    "domain_label",
    "employer_mentions",
    "first_name_from_email",
    "fold",
    "handle_pieces",
    "location",
    "name_part",
    "parse_display_name",
    "person_name",
    "registered_domain",
    "skeleton",
    "social_ids",
    "text_tokens",
    "title_words",
]

# Entries per memoised function. Names repeat (the CRM side and frequent first names), but a
# long-running worker sees endless distinct strangers: the bound keeps its memory flat.
_CACHE = 8192
# `fold` keeps more (~15 MB at most): the folded values of a 5,000-record file (FEBRL4:
# ~40,000), so that `enrich match` folds each once, when the index is built before the
# fork, and not again in every worker.
_FOLD_CACHE = 1 << 16
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Where a display name stops being a name: "Jane Doe | VP Eng", "Jane Doe - Acme",
# "Jane Doe (she/her)", "Jane Doe @ Acme", "Jane Doe at Acme", "Jane Doe: founder".
_NAME_END = re.compile(
    r"\s[-\u2013\u2014~]\s|[|\u2022\u00b7/(\[{:;@\u2013\u2014]|\s(?:at|@)\s", re.I
)
_UNAMBIGUOUS_SUFFIXES = frozenset({"phd", "mba", "jr", "sr", "ii", "iii", "iv", "esq", "dphil"})
_VOWELS = re.compile(r"[aeiouy]")
_LOCATION_SPLIT = re.compile(r"[,/|;()\u2022\u00b7]|\s-\s")
_LOCATION_NOISE = frozenset({"greater", "area", "metro", "metropolitan", "region", "city", "of"})
_KNOWN_COUNTRIES = frozenset(vocab.COUNTRY_ALIASES.values()) | frozenset(
    vocab.CITY_COUNTRY.values()
)
_MENTION = re.compile(r"(?:^|[\s|(,;])(?:@\s?|at\s+)([a-z0-9][^,.|;:!?()\n\u2022\u00b7]{0,60})")
# "Formerly at Globex", "ex-Initech", "previously @Hooli": a past employer is no conflict.
_PAST = re.compile(
    r"(?:formerly|previously|former|prev|ex|alum(?:ni|nus|na)?|past)\W*(?:at\W*|@\W*)?$"
)
_MENTION_STOP = frozenset(
    {
        "and",
        "in",
        "on",
        "where",
        "since",
        "from",
        "to",
        "building",
        "helping",
        "ex",
        "formerly",
        "previously",
        "prev",
        "former",
    }
)
_DOTTED_INITIALS = re.compile(r"\b([A-Za-z])\.(?=[A-Za-z]\b)")


def _ascii(text: str) -> str:
    """NFKC then transliterate: fancy Unicode letters and diacritics become plain ASCII."""
    if text.isascii():  # both steps leave ASCII as it is; most values are
        return text
    return unidecode(unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=_FOLD_CACHE)
def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces; apostrophes join ("O'Brien")."""
    s = _ascii(text).lower().replace("'", "")
    if s.isalnum():  # one ASCII word (a postcode, a surname): nothing to replace or strip
        return s
    return _NON_ALNUM.sub(" ", s).strip()


@lru_cache(maxsize=_CACHE)
def text_tokens(text: str) -> tuple[str, ...]:
    """Folded words of a free text (bio, headline)."""
    return tuple(fold(text).split())


_TITLE_FILLERS = frozenset({"of", "the", "and", "for", "co"})


@lru_cache(maxsize=_CACHE)
def title_words(text: str) -> tuple[str, ...]:
    """Job-title words of a text, abbreviations expanded, seniority and fillers dropped.

    "Sr. Dir. of Mktg" and "Director, Marketing" both become (director, marketing);
    "CTO" becomes (chief, technology, officer). Any free text may be given: a title is
    then looked for as a run of these words.
    """
    out: list[str] = []
    for w in text_tokens(text):
        for x in vocab.TITLE_ABBREVIATIONS.get(w, w).split():
            if x not in vocab.TITLE_SENIORITY and x not in _TITLE_FILLERS:
                out.append(x)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ParsedName:
    """The name part of a display name as folded tokens, plus what followed it."""

    tokens: tuple[str, ...]
    rest: str


def _name_tokens(raw_part: str, all_caps: bool) -> list[str]:
    out: list[str] = []
    for raw in raw_part.replace("\u2019", "'").split():
        bare = raw.replace(".", "").replace("'", "")
        folded = fold(bare)
        if not folded:
            continue  # emoji, punctuation
        if "." in raw and all(len(p) <= 1 for p in raw.split(".")):
            out.extend(c for c in folded if c != " ")  # "J.R." -> j, r
            continue
        if folded in _UNAMBIGUOUS_SUFFIXES:
            continue
        # "MA"/"MD" are degrees only when written like one; "Jack Ma" keeps his name.
        if folded in vocab.DEGREES and ("." in raw or (raw.isupper() and not all_caps)):
            continue
        out.extend(fold(raw).split())  # hyphenated names become two tokens
    while len(out) > 1 and out[0] in vocab.TITLES:
        out.pop(0)
    return out


# Words that open a family name of several words: "van der Berg", "de la Cruz", "da Silva".
_FAMILY_PARTICLES = frozenset(
    {
        "van",
        "von",
        "de",
        "del",
        "della",
        "der",
        "den",
        "di",
        "da",
        "das",
        "dos",
        "du",
        "la",
        "le",
        "ten",
        "ter",
        "al",
        "el",
        "bin",
        "ibn",
    }
)


def _family_name_first(head: list[str], tail: list[str]) -> bool:
    """Whether "head, tail" is a family name, then the given name.

    One word before the comma is a family name ("Doe, Jane"). Several are one only with
    a sign of it, since "Jane Doe, Acme" puts a full name first: a particle opens them
    ("van der Berg, Anna"), or the word after the comma is a known given name and the
    first before it is not ("García López, Jessica"; not "Jane Doe, Austin"). Known:
    in the nickname table (``given_names``), which knows mostly English names, so
    "García López, Carlos" is read as before: the name García López, then " Carlos".
    """
    if len(head) == 1:
        return True
    if len(head) > 3 or not tail:
        return False
    return head[0] in _FAMILY_PARTICLES or (
        _known_given_name(tail[0]) and not _known_given_name(head[0])
    )


def _known_given_name(token: str) -> bool:
    return len(token) >= 2 and bool(gn.nicknames_of(token) or gn.canonicals_of(token))


def name_part(text: str) -> str:
    """The part of a display name that is the name, as written: "Jane Doe | VP Eng" ->
    "Jane Doe", "张伟 (Wei)" -> "张伟"."""
    s = unicodedata.normalize("NFKC", text).strip()
    cut = _NAME_END.search(s)
    return s[: cut.start()] if cut else s


@lru_cache(maxsize=_CACHE)
def parse_display_name(text: str) -> ParsedName:
    """Split "Dr. Jane Doe, PhD | VP Eng at Acme 🚀" into (jane, doe) and the rest.

    "Doe, Jane" (family name first, comma) is turned around, as are "van der Berg, Anna"
    and "García López, Jessica" (``_family_name_first``); a comma followed by degrees
    or a job title ends the name ("Jane Doe, MBA", "Jane Doe, VP Sales").
    """
    s = unicodedata.normalize("NFKC", text).strip()
    cut = _NAME_END.search(s)
    name_part, rest = (s[: cut.start()], s[cut.start() :]) if cut else (s, "")
    all_caps = name_part.isupper()
    if "," in name_part:
        # Drop comma-separated parts that are only degrees ("Jane Doe, PhD, MBA").
        parts = [(p, _name_tokens(p, all_caps)) for p in name_part.split(",")]
        parts = [(p, t) for p, t in parts if t]
        if not parts:
            return ParsedName((), rest)
        head_raw, head = parts[0]
        if len(parts) >= 2 and len(parts[1][1]) <= 2 and _family_name_first(head, parts[1][1]):
            tail_raw, tail = parts[1]
            if len(tail) == len(fold(tail_raw).split()):  # "Doe, Jane": family name first
                return ParsedName(tuple(tail + head), ",".join(p for p, _ in parts[2:]) + rest)
        return _maiden(ParsedName(tuple(head), ",".join(p for p, _ in parts[1:]) + rest))
    return _maiden(ParsedName(tuple(_name_tokens(name_part, all_caps)), rest))


# "Anna Keller (Schmidt)": one capitalised word in parentheses right after the name.
_MAIDEN = re.compile(r"\s*\(\s*([^\W\d_][^\W\d_'\-]+)\s*\)")


def _maiden(parsed: ParsedName) -> ParsedName:
    """A family name in parentheses after the name is the maiden (or former) one: it is
    read as "Anna Schmidt Keller", which meets a CRM record under either family name the
    way "Anna Schmidt-Keller" does. "(CEO)" or "(she/her)" is no name."""
    m = _MAIDEN.match(parsed.rest)
    if len(parsed.tokens) < 2 or m is None:
        return parsed
    word = m.group(1)
    if not word[0].isupper() or word.isupper() or fold(word) in vocab.TITLES:
        return parsed
    tokens = (*parsed.tokens[:-1], *fold(word).split(), parsed.tokens[-1])
    return ParsedName(tokens, parsed.rest[m.end() :])


@lru_cache(maxsize=_CACHE)
def person_name(first: str, last: str, full: str = "") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Folded (first-name tokens, last-name tokens) of a CRM record."""
    first_t = tuple(_name_tokens(first, first.isupper()))
    last_t = tuple(t for t in _name_tokens(last, last.isupper()) if t not in vocab.TITLES)
    if not first_t and not last_t and full:
        toks = parse_display_name(full).tokens
        if len(toks) == 1:
            return (), toks
        return toks[:1], toks[-1:]
    return first_t, last_t


@lru_cache(maxsize=_CACHE)
def first_name_from_email(email: str, last: tuple[str, ...]) -> str:
    """The first name (or its initial) an address spells beside the family name, as a
    person reads "soren.smith@acme.com" on a record whose first-name field is empty:
    first.last, last.first, first_last, initial + last ("ssmith"); "" otherwise."""
    local = email.partition("@")[0].partition("+")[0].lower()
    family = "".join(last)
    if "@" not in email or len(family) < 2 or not local.isascii():
        return ""
    parts = [p for p in re.split(r"[._-]+", local) if p]
    if len(parts) == 2 and family in parts:
        other = parts[1] if parts[0] == family else parts[0]
        return other if other.isalpha() else ""
    if len(parts) == 1 and local != family:
        if local.endswith(family) and local[: -len(family)].isalpha():
            return local[: -len(family)]
        if local.startswith(family) and local[len(family) :].isalpha():
            return local[len(family) :]
    return ""


@lru_cache(maxsize=_CACHE)
def skeleton(word: str) -> str:
    """First letter plus consonants, doubles collapsed: Mueller/Muller/Müller -> "mlr".

    A blocking key that survives the usual transliteration and spelling drift of
    family names without a phonetic library.
    """
    if not word:
        return ""
    tail = _VOWELS.sub("", word[1:])
    out = [word[0]]
    for c in tail:
        if c != out[-1]:
            out.append(c)
    return "".join(out)


@lru_cache(maxsize=_CACHE)
def handle_pieces(handle: str) -> tuple[str, ...]:
    """Alphabetic pieces of a handle without decoration: "@RealJohn.Smith_42" -> (john, smith)."""
    s = _ascii(handle).lower().lstrip("@")
    pieces = re.findall(r"[a-z]+", s)
    if pieces:
        for affix in vocab.HANDLE_PREFIXES:
            if pieces[0].startswith(affix) and len(pieces[0]) - len(affix) >= 3:
                pieces[0] = pieces[0][len(affix) :]
                break
        for affix in vocab.HANDLE_SUFFIXES:
            if pieces[-1] == affix and len(pieces) > 1:
                pieces.pop()
                break
            if pieces[-1].endswith(affix) and len(pieces[-1]) - len(affix) >= 3:
                pieces[-1] = pieces[-1][: -len(affix)]
                break
    return tuple(pieces)


@lru_cache(maxsize=_CACHE)
def company_core(company: str) -> tuple[str, ...]:
    """Company tokens without legal form: "The ACME Group, Inc." -> (acme,)."""
    # "B.V." / "S.A." must read as one suffix token, not as two stray letters.
    toks = list(text_tokens(_DOTTED_INITIALS.sub(r"\1", company).replace("&", " ")))
    while len(toks) > 1 and toks[-1] in vocab.LEGAL_SUFFIXES:
        toks.pop()
    if len(toks) > 1 and toks[0] == "the":
        toks.pop(0)
    return tuple(toks)


def acronym(tokens: tuple[str, ...]) -> str:
    """Initials of a multi-word name ("international business machines" -> "ibm")."""
    words = [t for t in tokens if t not in {"of", "and", "the", "for"}]
    return "".join(t[0] for t in words) if len(words) >= 2 else ""


@lru_cache(maxsize=_CACHE)
def employer_mentions(text: str) -> tuple[tuple[str, ...], ...]:
    """Company-like phrases introduced by "at", "@", "for", "with" in a bio or headline."""
    s = _ascii(text).lower()
    out: list[tuple[str, ...]] = []
    for m in _MENTION.finditer(s):
        if _PAST.search(s[max(0, m.start() - 16) : m.start(1)]):
            continue
        words: list[str] = []
        for w in fold(m.group(1)).split()[:4]:
            if w in _MENTION_STOP:
                break
            words.append(w)
        core = company_core(" ".join(words))
        if core and core[0] not in vocab.NOT_EMPLOYERS:
            out.append(core)
    return tuple(out)


@lru_cache(maxsize=_CACHE)
def registered_domain(value: str) -> str:
    """ "https://www.acme.co.uk/team" or "jane@acme.co.uk" -> "acme.co.uk"; "" for free mail."""
    v = value.strip().lower()
    if not v:
        return ""
    if "@" in v and "/" not in v:
        host = v.rsplit("@", 1)[1]
    else:
        host = urlsplit(v if "//" in v else "//" + v).hostname or ""
    host = host.strip(".")
    if host.startswith("www."):
        host = host[4:]
    labels = host.split(".")
    if len(labels) < 2 or host in vocab.FREE_DOMAINS:
        return ""
    keep = 3 if ".".join(labels[-2:]) in vocab.SECOND_LEVEL_SUFFIXES else 2
    dom = ".".join(labels[-keep:])
    return "" if dom in vocab.FREE_DOMAINS else dom


def domain_label(domain: str) -> str:
    """The registered label of a domain: "acme.co.uk" -> "acme"."""
    return domain.split(".", 1)[0] if domain else ""


_PLATFORM_HOSTS = {
    "twitter.com": "x",
    "x.com": "x",
    "mobile.twitter.com": "x",
    "linkedin.com": "linkedin",
    "instagram.com": "instagram",
    "facebook.com": "facebook",
    "fb.com": "facebook",
}


def _platform(name: str) -> str:
    p = name.strip().lower()
    return "x" if p in {"twitter", "x.com"} else p


@lru_cache(maxsize=_CACHE)
def social_ids(value: str, default_platform: str = "") -> frozenset[tuple[str, str]]:
    """(platform, id) pairs named by a URL or a bare handle; ids are lower-case."""
    v = value.strip()
    if not v:
        return frozenset()
    if "/" in v or v.startswith(("http", "www.")):
        parts = urlsplit(v if "//" in v else "//" + v)
        host = (parts.hostname or "").lower()
        if host.startswith("www."):
            host = host[4:]
        host = re.sub(r"^[a-z]{2}\.(?=linkedin\.com)", "", host)
        platform = _PLATFORM_HOSTS.get(host)
        segs = [unquote(s).lower() for s in parts.path.split("/") if s]
        if platform is None or not segs:
            return frozenset()
        if platform == "linkedin":
            if len(segs) >= 2 and segs[0] in {"in", "pub"}:
                return frozenset({("linkedin", segs[1])})
            return frozenset()
        return frozenset({(platform, segs[0].lstrip("@"))})
    if not default_platform:
        return frozenset()
    return frozenset({(_platform(default_platform), v.lstrip("@").lower())})


@dataclass(frozen=True, slots=True)
class Location:
    """Canonical cities and countries a free-text location names, and unresolved parts."""

    cities: frozenset[str]
    countries: frozenset[str]
    others: frozenset[str]


@lru_cache(maxsize=_CACHE)
def canonical_city(text: str) -> str:
    """Folded city with aliases resolved ("NYC" -> "new york"); unknown cities stay folded."""
    f = fold(text)
    return vocab.CITY_ALIASES.get(f, f)


@lru_cache(maxsize=_CACHE)
def canonical_country(text: str) -> str:
    """Folded country with aliases resolved ("USA" -> "united states")."""
    f = fold(text)
    return vocab.COUNTRY_ALIASES.get(f, f)


def _resolve(part: str, cities: set[str], countries: set[str]) -> bool:
    if part in vocab.CITY_ALIASES or part in vocab.CITY_COUNTRY:
        cities.add(vocab.CITY_ALIASES.get(part, part))
        return True
    if part in vocab.COUNTRY_ALIASES or part in _KNOWN_COUNTRIES:
        countries.add(vocab.COUNTRY_ALIASES.get(part, part))
        return True
    return False


@lru_cache(maxsize=_CACHE)
def location(text: str) -> Location:
    """Read "NYC 🗽", "Berlin, Deutschland", "San Francisco Bay Area" into places."""
    cities: set[str] = set()
    countries: set[str] = set()
    others: set[str] = set()
    for raw in _LOCATION_SPLIT.split(_ascii(text).lower()):
        part = fold(raw)
        if not part or _resolve(part, cities, countries):
            continue
        words = part.split()
        trimmed = " ".join(w for w in words if w not in _LOCATION_NOISE)
        if trimmed and _resolve(trimmed, cities, countries):
            continue
        found = False
        for n in (3, 2, 1):  # "berlin germany", "living in london"
            for i in range(len(words) - n + 1):
                gram = " ".join(words[i : i + n])
                if len(gram) > 2 or n > 1:
                    found = _resolve(gram, cities, countries) or found
        if not found:
            others.add(part)
    countries.update(vocab.CITY_COUNTRY[c] for c in cities if c in vocab.CITY_COUNTRY)
    return Location(frozenset(cities), frozenset(countries), frozenset(others))

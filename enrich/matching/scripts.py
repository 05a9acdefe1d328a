"""Names written in other scripts, read in the Latin spellings a CRM holds them in.

A profile shows "حسن المصري", "Αγγελική Κωνσταντίνου", "김민준" or "佐藤 太郎"; the CRM
holds "Hassan Al-Masri", "Angeliki Konstantinou", "Min-jun Kim", "Taro Sato". One
transliteration is not enough: Arabic leaves short vowels unwritten (محمد is Mohammed,
Muhammad and Mohamed), Greek has several systems (γγ is ng or gg, η is i or e), Korean
family names have spellings of their own (이 is Lee, Yi or Rhee), Japanese drops long
vowels (さとう is Sato, Satou or Satoh), and Chinese, Japanese and Korean put the family
name first. So each word of such a name becomes a ``Word``: a few spellings (for
blocking keys and for showing) and a pattern that accepts every Latin spelling people
use; ``read_as`` then reads a name as the CRM's own spelling where a word fits it.

Transliteration: the tables below for Arabic, Greek and Cyrillic letters (the spelling
systems people actually use, written as data), korean-romanizer for Hangul syllables with
the Korean family names' own spellings on top, unidecode for kana and for Chinese
characters (pinyin) with the Hong Kong, Taiwan and South-East Asian spellings of Chinese
family names on top, and pykakasi for Japanese kanji (their readings differ from the
Chinese ones).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from korean_romanizer.romanizer import Romanizer

from enrich.matching import normalize as nz
from enrich.matching import script_tables as st

__all__ = ["Word", "blocking_readings", "has_native", "read_as", "readings"]

_CACHE = 8192

_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f]")
_GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NATIVE = re.compile(
    r"[\u0600-\u06ff\u0750-\u077f\u0370-\u03ff\u1f00-\u1fff\u0400-\u04ff"
    r"\uac00-\ud7a3\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a name: its spellings (the first is shown) and the pattern every Latin
    spelling of it matches (lower-case ASCII, no spaces)."""

    spellings: tuple[str, ...]
    pattern: re.Pattern[str]

    def fits(self, latin: str) -> bool:
        return self.pattern.fullmatch(latin) is not None


def has_native(text: str) -> bool:
    """Whether a text has letters of a script read here (not Latin)."""
    return not text.isascii() and _NATIVE.search(text) is not None


# ---------------------------------------------------------------- building patterns


def _alternation(alts: Iterable[str]) -> str:
    opts = sorted(set(alts), key=lambda a: (-len(a), a))
    return "(?:" + "|".join(map(re.escape, opts)) + ")"


def _double(alts: tuple[str, ...]) -> tuple[str, ...]:
    """A consonant may be written twice (shadda, Vassiliki, Hassan)."""
    return alts + tuple(a + a for a in alts if len(a) == 1 and a not in "aeiouy")


def _letters(word: str, table: dict[str, tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The word cut into the table's letters and digraphs (longest first); an unknown
    character stands for its unidecode spelling."""
    out: list[tuple[str, ...]] = []
    i = 0
    while i < len(word):
        for n in (2, 1):
            piece = word[i : i + n]
            if len(piece) == n and piece in table:
                out.append(table[piece])
                i += n
                break
        else:
            out.append((nz.fold(word[i]).replace(" ", ""),))
            i += 1
    return out


def _pieces_pattern(latin: str, pieces: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    """A Latin spelling with each piece of the table replaced by its alternatives."""
    out: list[str] = []
    i = 0
    while i < len(latin):
        for piece, alts in pieces:
            if latin.startswith(piece, i):
                out.append(_alternation(alts))
                i += len(piece)
                break
        else:
            out.append(re.escape(latin[i]))
            i += 1
    return "".join(out)


def _strip_marks(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)
    ).lower()


@lru_cache(maxsize=_CACHE)
def _arabic(word: str) -> Word:
    body, article = word, False
    if len(word) > 3 and word.startswith("ال"):
        body, article = word[2:], True
    letters = _letters(body, st.AR)
    vowels = "[aeiou]{0,2}"
    parts: list[str] = []
    for n, (ch, alts) in enumerate(zip(body, letters, strict=False)):
        parts.append(_alternation(_double(alts)))
        if n < len(letters) - 1 and ch not in st.AR_VOWELISH and body[n + 1] not in st.AR_VOWELISH:
            parts.append(vowels)  # a short vowel, unwritten, between two consonants
        elif n < len(letters) - 1:
            parts.append("[aeiou]?")
    prefix = "(?:(?:a|e)(?:l|[tdrzsnl])?)?" if article else ""
    pattern = re.compile(prefix + "".join(parts))
    # For blocking: the consonants as written, long vowels as vowels (a skeleton drops
    # them), a leading vowel letter in each of its spellings.
    core = "".join(
        ("u" if ch == "و" else "i" if ch in "يى" else alts[0]) if n else alts[0]
        for n, (ch, alts) in enumerate(zip(body, letters, strict=False))
    )
    spellings = [core]
    if body[:1] in st.AR_VOWELISH and len(core) > 1:
        spellings += [v + core[1:] for v in "aeiou" if core[0] != v]
    if article:
        spellings += ["al" + s for s in spellings[:1]]
    return Word(tuple(dict.fromkeys(s for s in spellings if s)), pattern)


def _table_word(word: str, table: dict[str, tuple[str, ...]], text: str) -> Word:
    letters = _letters(text, table)
    pattern = "".join(_alternation(_double(alts)) for alts in letters)
    first = "".join(alts[0] for alts in letters)
    # Spellings for blocking, whose keys keep a name's first letter and its consonants:
    # the first letter in each of its spellings (Oikonomou, Ikonomou, Economou; Hristos),
    # then the commonest other choice of every letter.
    rest = first[len(letters[0][0]) :] if letters else ""
    heads = [a + rest for a in letters[0][1:] if a] if letters else []
    second = "".join(alts[1] if len(alts) > 1 and alts[1] else alts[0] for alts in letters)
    plain = nz.fold(word).replace(" ", "")
    spellings = dict.fromkeys((first, *heads, second, plain))
    return Word(tuple(spellings), re.compile(pattern))


@lru_cache(maxsize=_CACHE)
def _greek(word: str) -> Word:
    return _table_word(word, st.EL, _strip_marks(word))  # accents (tonos) change no letter


@lru_cache(maxsize=_CACHE)
def _cyrillic(word: str) -> Word:
    # Not stripped of marks: ё and й are letters of their own (е and и with a mark).
    return _table_word(word, st.RU, unicodedata.normalize("NFC", word).lower())


def _korean_syllables(syllables: str) -> tuple[str, str]:
    """(pattern, Revised Romanisation) of Hangul syllables read one by one, as names are
    written (Min-jun, not Minjun's assimilated reading). korean-romanizer, not unidecode:
    unidecode's Hangul is no standard romanisation (희 "hyi", 박 "bag", 최 "coe")."""
    rr = [Romanizer(s).romanize().lower() for s in syllables]
    return "".join(_pieces_pattern(r, st.KO_PIECES) for r in rr), "".join(rr)


@lru_cache(maxsize=_CACHE)
def _korean(word: str, family: bool) -> Word:
    pattern, rr = _korean_syllables(word)
    spellings: tuple[str, ...] = (rr,)
    if family and word in st.KO_FAMILY:
        spellings = st.KO_FAMILY[word]
        pattern = f"(?:{_alternation(spellings)}|{pattern})"
    return Word(tuple(dict.fromkeys((*spellings, rr))), re.compile(pattern))


@lru_cache(maxsize=_CACHE)
def _chinese(word: str, family: bool) -> Word:
    syllables = [nz.fold(c).replace(" ", "") for c in word]
    pinyin = "".join(syllables)
    spellings: tuple[str, ...] = (pinyin,)
    if family:
        spellings += st.ZH_FAMILY.get(pinyin, ())
    return Word(spellings, re.compile(_alternation(spellings)))


@cache
def _kakasi() -> Any:
    """pykakasi's converter, built on the first Japanese name (~0.9 s, ~130 MB: its
    kanji dictionary), so that a mirror without Japanese names never loads it."""
    # Imported here, not at the top: importing it alone costs ~130 ms at every start of
    # enrich, for a dictionary most mirrors never need.
    import pykakasi

    make: Callable[[], Any] = pykakasi.kakasi  # untyped package
    return make()


def _japanese_latin(hepburn: str) -> Word:
    h = re.sub(r"[^a-z]", "", hepburn.lower())
    # Passport spelling drops the long vowel's second letter (Satou -> Sato; Inoue keeps
    # its u, a syllable of its own before the e).
    passport = re.sub(r"(?<=[ou])u(?![aeiou])", "", h).replace("oo", "o") or h
    return Word(tuple(dict.fromkeys((passport, h))), re.compile(_pieces_pattern(h, st.JA_PIECES)))


@lru_cache(maxsize=_CACHE)
def _japanese(text: str) -> tuple[Word, ...]:
    """The words of a Japanese name (kana, or kanji read by pykakasi), in the order
    written: family name first."""
    if not _HAN.search(text):
        return (_japanese_latin(nz.fold(text).replace(" ", "")),)
    parts = [p["hepburn"] for p in _kakasi().convert(text) if p["hepburn"].strip()]
    return tuple(_japanese_latin(p) for p in parts)


# ---------------------------------------------------------------- reading a name


def _split_cjk(word: str, compound: frozenset[str]) -> tuple[str, str]:
    """(family, given) of a name written without a space, family name first."""
    n = 2 if word[:2] in compound and len(word) > 2 else 1
    return word[:n], word[n:]


@lru_cache(maxsize=_CACHE)
def readings(name: str) -> tuple[tuple[Word, ...], ...]:
    """Every way to read the name part of a display name as words, in the order written;
    () when it has no letters of a script read here. A name of Chinese characters alone
    is read both as Chinese and as Japanese (the same characters, other readings)."""
    if not has_native(name):
        return ()
    words = nz.name_part(name).split()
    if not words:
        return ()
    # A name of one native word is written without spaces ("张伟", "김민준"): split it
    # into family and given name. Of several ("佐藤 太郎"), each word is one name.
    split = sum(1 for w in words if _NATIVE.search(w)) == 1
    out: list[list[Word]] = [[]]
    for w in words:
        options = _word_options(w, split)
        out = [r + list(o) for r in out for o in options][:8]
    return tuple(tuple(r) for r in out if r)


def _word_options(w: str, split: bool) -> list[tuple[Word, ...]]:
    """The readings of one written word (several words, for CJK written together)."""
    if _ARABIC.search(w):
        return [(_arabic(w),)]
    if _GREEK.search(w):
        return [(_greek(w),)]
    if _CYRILLIC.search(w):
        return [(_cyrillic(w),)]
    if _HANGUL.search(w):
        if split and len(w) >= 2:
            fam, given = _split_cjk(w, st.KO_COMPOUND_FAMILY)
            return [(_korean(fam, True), _korean(given, False))]
        return [(_korean(w, True),)]
    if _KANA.search(w):
        return [_japanese(w)]
    if _HAN.search(w):
        options: list[tuple[Word, ...]] = []
        if split and len(w) >= 2:
            fam, given = _split_cjk(w, st.ZH_COMPOUND_FAMILY)
            options.append((_chinese(fam, True), _chinese(given, False)))
        else:
            options.append((_chinese(w, True),))
        options.append(_japanese(w))
        return options
    latin = nz.fold(w).replace(" ", "")
    if not latin:
        return [()]
    return [(Word((latin,), re.compile(re.escape(latin))),)]


def read_as(name: str, crm: tuple[str, ...]) -> tuple[str, ...]:
    """The display name's words as folded Latin tokens, each word that fits a run of the
    CRM name's tokens (one of their spellings) written as those tokens; the others in
    their first spelling. Of several readings, the one that fits most CRM tokens."""
    best: tuple[int, tuple[str, ...]] = (-1, ())
    for reading in readings(name):
        used: set[int] = set()
        out: list[str] = []
        fitted = 0
        for word in reading:
            run = _fitting_run(word, crm, used)
            if run is None:
                out.append(word.spellings[0])
                continue
            used.update(range(*run))
            out.extend(crm[run[0] : run[1]])
            fitted += run[1] - run[0]
        if fitted > best[0]:
            best = (fitted, tuple(out))
    return best[1]


def _fitting_run(word: Word, crm: tuple[str, ...], used: set[int]) -> tuple[int, int] | None:
    """The longest run of unused CRM tokens (start, end) whose letters the word spells."""
    n = len(crm)
    for size in range(n, 0, -1):
        for i in range(n - size + 1):
            if used.intersection(range(i, i + size)):
                continue
            if word.fits("".join(crm[i : i + size])):
                return i, i + size
    return None


@lru_cache(maxsize=_CACHE)
def blocking_readings(name: str) -> tuple[tuple[str, ...], ...]:
    """Token tuples to build name keys from: each word in each of its spellings (the
    first spellings of all words, then one word at a time in another)."""
    out: dict[tuple[str, ...], None] = {}
    for reading in readings(name):
        base = [w.spellings[0] for w in reading]
        out[tuple(base)] = None
        for i, w in enumerate(reading):
            for s in w.spellings[1:8]:
                out[tuple(base[:i] + [s] + base[i + 1 :])] = None
    return tuple(out)[:24]

"""One-pass, word-boundary-correct search for many terms at once.

A :class:`TermMatcher` compiles every term (keywords and phrases of all topics, or the
"not interested" phrases of the score config) into one Aho-Corasick automaton
(``pyahocorasick``), so matching a text costs one scan whatever the number of terms, instead
of one regular expression per keyword. Terms and texts are both normalised by
:func:`enrich.scoring.textnorm.normalize`; a hit only counts when it starts and ends on a
word boundary, so ``ai`` does not match inside ``said`` while ``c++`` and ``.net`` work
(a boundary is only required next to a term's *word* characters, as with regex ``\\b``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

import ahocorasick

from enrich.scoring.textnorm import WORD_CHARS, has_word, normalize

P = TypeVar("P")


def plural_variants(term: str) -> tuple[str, ...]:
    """The forms a term matches: itself, and a simple English plural for a word-final term.

    Taxonomy authors write "data pipeline" and should not have to add "data pipelines";
    terms already ending in 's' or in a symbol ("c++") get no extra form.
    """
    if term and term[-1].isalpha() and not term.endswith("s") and len(term.rsplit(" ", 1)[-1]) > 2:
        return (term, term + "s")
    return (term,)


class TermMatcher(Generic[P]):
    """Find which payloads' terms occur in a text.

    ``terms`` maps a payload (a topic name, a phrase rule) to its terms. Terms are
    normalised here; the same term may belong to several payloads.
    """

    def __init__(self, terms: Mapping[P, Iterable[str]], *, plurals: bool = True) -> None:
        by_term: dict[str, list[tuple[P, str]]] = {}
        for payload, payload_terms in terms.items():
            for raw in payload_terms:
                term = normalize(raw)
                if not has_word(term):
                    continue
                for form in plural_variants(term) if plurals else (term,):
                    entries = by_term.setdefault(form, [])
                    if all(p != payload for p, _ in entries):
                        entries.append((payload, raw))
        self._automaton = ahocorasick.Automaton()
        for form, entries in by_term.items():
            # The value carries what the boundary check needs, so the hot loop does no lookups.
            need_left = form[0] in WORD_CHARS
            need_right = form[-1] in WORD_CHARS
            self._automaton.add_word(form, (len(form), need_left, need_right, tuple(entries)))
        self._empty = not by_term
        if not self._empty:
            self._automaton.make_automaton()
        self.term_count = len(by_term)

    def find(self, text: str) -> dict[P, list[str]]:
        """Payloads found in ``text`` (raw, not yet normalised) with the terms that matched."""
        return self.find_normalized(normalize(text))

    def find_normalized(self, text: str) -> dict[P, list[str]]:
        """As :meth:`find`, for a text already passed through ``normalize``."""
        found: dict[P, list[str]] = {}
        if self._empty or not text:
            return found
        last = len(text) - 1
        for end, (length, need_left, need_right, entries) in self._automaton.iter(text):
            start = end - length + 1
            if need_left and start > 0 and text[start - 1] in WORD_CHARS:
                continue
            if need_right and end < last and text[end + 1] in WORD_CHARS:
                continue
            for payload, raw in entries:
                matched = found.setdefault(payload, [])
                if raw not in matched:
                    matched.append(raw)
        return found

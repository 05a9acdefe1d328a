"""The topic taxonomy RevOps edits: which words, phrases and hashtags mean which topic.

Format (YAML; any language, accents and case do not matter)::

    version: 3                     # optional int, stamped on interests computed with it
    topics:
      - name: cloud-security       # slug: a-z, 0-9, '-' or '_'; unique
        label: Cloud security      # optional, shown in the CRM; defaults to the name
        keywords: [cspm, cnapp, zero trust]
        phrases: [cloud security, sécurité du cloud]
        hashtags: [cloudsecurity, "#cloudsec"]

A topic needs at least one keyword, phrase or hashtag. Keywords and phrases are matched on
word boundaries in normalised text (a word-final term also matches its plural with "s");
hashtags match hashtags exactly (after dropping '#', case and accents).
Loading validates everything and raises :class:`enrich.errors.ConfigError` with the line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from enrich.errors import ConfigError
from enrich.scoring.terms import TermMatcher
from enrich.scoring.textnorm import has_word, normalize, normalize_hashtag
from enrich.scoring.textnorm import hashtags as find_hashtags
from enrich.yamlfile import LocatedDict, Reader, as_int, load_yaml, read_yaml

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_TOPIC_KEYS = {"name", "label", "keywords", "phrases", "hashtags"}


@dataclass(frozen=True, slots=True)
class Topic:
    """One interest topic and the terms that are evidence for it."""

    name: str
    label: str
    keywords: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "label": self.label}
        for key in ("keywords", "phrases", "hashtags"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        return out


@dataclass(frozen=True, slots=True)
class TopicHits:
    """Topics found in one text: by its words/phrases and by its hashtags (term lists)."""

    words: Mapping[str, tuple[str, ...]]
    hashtags: Mapping[str, tuple[str, ...]]
    topics: frozenset[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        # Computed once: scoring asks for it many times per touchpoint.
        object.__setattr__(self, "topics", frozenset(self.words) | frozenset(self.hashtags))


_NO_HITS = TopicHits({}, {})


@dataclass(frozen=True)
class Taxonomy:
    """A validated set of topics with a compiled matcher (built once, on first use)."""

    topics: tuple[Topic, ...]
    version: int = 1
    _by_name: dict[str, Topic] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, Topic] = {}
        for topic in self.topics:
            if topic.name in by_name:
                raise ConfigError(f"taxonomy: duplicate topic name {topic.name!r}")
            by_name[topic.name] = topic
        object.__setattr__(self, "_by_name", by_name)

    # -- loading / dumping -------------------------------------------------------------

    @classmethod
    def from_yaml(cls, text: str, source: str = "taxonomy.yaml") -> Taxonomy:
        return cls.from_dict(load_yaml(text, source), source)

    @classmethod
    def from_file(cls, path: str | Path) -> Taxonomy:
        return cls.from_dict(read_yaml(path), str(path))

    @classmethod
    def default(cls) -> Taxonomy:
        """The starter taxonomy for B2B software shipped with enrich."""
        ref = resources.files("enrich.scoring").joinpath("default_taxonomy.yaml")
        return cls.from_yaml(ref.read_text(encoding="utf-8"), "default_taxonomy.yaml")

    @classmethod
    def from_dict(cls, doc: Any, source: str = "taxonomy") -> Taxonomy:
        """Validate a parsed document (see the module docstring for the format)."""
        r = Reader(source)
        root = r.mapping(doc, "(document)", 1)
        r.only_keys(root, "", {"version", "topics"})
        version = r.field(root, "version", "", as_int, "an integer", default=1)
        if "topics" not in root:
            r.fail(root.line, "topics", "is required: a list of topics (name, keywords, ...)")
        items = r.sequence(root["topics"], "topics", r.line_of(root, "topics"))
        if not items:
            r.fail(r.line_of(root, "topics"), "topics", "is empty; add at least one topic")
        topics: list[Topic] = []
        first_line: dict[str, int | None] = {}
        for i, (item, line) in enumerate(items):
            path = f"topics[{i}]"
            node = r.mapping(item, path, line)
            topic = _topic(r, node, path, line)
            if topic.name in first_line:
                r.fail(
                    line,
                    f"{path}.name",
                    f"duplicate topic name {topic.name!r} "
                    f"(first at line {first_line[topic.name]}); merge the two topics",
                )
            first_line[topic.name] = line
            topics.append(topic)
        return cls(tuple(topics), version)

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "topics": [t.to_dict() for t in self.topics]}

    # -- use ----------------------------------------------------------------------------

    def __getitem__(self, name: str) -> Topic:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def label(self, name: str) -> str:
        topic = self._by_name.get(name)
        return topic.label if topic else name

    @cached_property
    def _word_matcher(self) -> TermMatcher[str]:
        return TermMatcher({t.name: (*t.keywords, *t.phrases) for t in self.topics})

    @cached_property
    def _hashtag_index(self) -> dict[str, tuple[tuple[str, str], ...]]:
        index: dict[str, list[tuple[str, str]]] = {}
        for t in self.topics:
            for raw in t.hashtags:
                index.setdefault(normalize_hashtag(raw), []).append((t.name, raw))
        return {tag: tuple(entries) for tag, entries in index.items()}

    def match(self, text: str) -> TopicHits:
        """The topics ``text`` is about: one automaton pass plus a hashtag lookup."""
        if not text:
            return _NO_HITS
        words = self._word_matcher.find_normalized(normalize(text))
        tags: dict[str, list[str]] = {}
        for tag in find_hashtags(text):
            for name, raw in self._hashtag_index.get(tag, ()):
                tags.setdefault(name, []).append(raw)
        if not words and not tags:
            return _NO_HITS
        return TopicHits(
            {k: tuple(v) for k, v in words.items()}, {k: tuple(v) for k, v in tags.items()}
        )


def _topic(r: Reader, node: LocatedDict, path: str, line: int | None) -> Topic:
    r.only_keys(node, path, _TOPIC_KEYS)
    if "name" not in node:
        r.fail(line, path, "has no name; add `name: some-topic`")
    name = node["name"]
    if not isinstance(name, str) or not _NAME.match(name):
        r.fail(
            r.line_of(node, "name"),
            f"{path}.name",
            f"{name!r} is not a valid topic name; use lower-case letters, digits, '-' or '_'",
        )
    label = node.get("label", name)
    if not isinstance(label, str) or not label.strip():
        r.fail(r.line_of(node, "label"), f"{path}.label", "must be non-empty text")
    terms: dict[str, tuple[str, ...]] = {}
    for key in ("keywords", "phrases", "hashtags"):
        terms[key] = _terms(r, node, key, f"{path}.{key}", name)
    if not any(terms.values()):
        r.fail(
            line,
            path,
            f"topic {name!r} is empty; give it at least one keyword, phrase or hashtag",
        )
    return Topic(name, label.strip(), terms["keywords"], terms["phrases"], terms["hashtags"])


def _terms(r: Reader, node: LocatedDict, key: str, path: str, topic: str) -> tuple[str, ...]:
    if key not in node or node[key] is None:
        return ()
    out: dict[str, None] = {}
    for i, (value, line) in enumerate(r.sequence(node[key], path, r.line_of(node, key))):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            r.fail(line, f"{path}[{i}]", f"must be text, got {type(value).__name__}")
        text = str(value).strip()  # YAML reads `- 5g` fine but `- 365` as an int
        usable = normalize_hashtag(text) if key == "hashtags" else normalize(text)
        if not has_word(usable):
            r.fail(
                line,
                f"{path}[{i}]",
                f"{text!r} has no letters or digits left after normalising; remove it",
            )
        out.setdefault(text, None)
    return tuple(out)

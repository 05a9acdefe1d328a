"""Normalisation and keyword matching: word boundaries, symbols, phrases, languages."""

from __future__ import annotations

import pytest

from enrich.scoring import Taxonomy
from enrich.scoring.terms import TermMatcher
from enrich.scoring.textnorm import hashtags, normalize


def test_normalize_strips_urls_mentions_emoji_and_accents() -> None:
    text = "Sécurité du Cloud 🚀 see https://ex.com/ai-report cc @ai_news!"
    assert normalize(text) == "securite du cloud see cc"


def test_normalize_keeps_symbols_terms_need() -> None:
    assert normalize("We use C++, C# and .NET; node.js in CI/CD") == (
        "we use c++ c# and .net node.js in ci/cd"
    )


def test_hashtags_are_found_normalised_and_also_count_as_words() -> None:
    assert hashtags("Big on #ZeroTrust and #Sécurité, not email a#b") == ["zerotrust", "securite"]
    assert normalize("#Kubernetes rocks") == "kubernetes rocks"


def test_ai_keyword_does_not_match_said(taxonomy: Taxonomy) -> None:
    assert "ai-ml" not in taxonomy.match("She said the rain in Spain stays mainly").topics
    assert "ai-ml" in taxonomy.match("Our AI roadmap").topics
    assert "ai-ml" in taxonomy.match("ai, finally.").topics


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Rewrote it in C++ last year", "C++"),
        ("c++17 features", "C++"),  # a term ending in a symbol needs no boundary after it (\b)
        ("Moving from .NET to Go", ".NET"),
        ("our C# services", "C#"),
        ("the c programming language", None),
    ],
)
def test_symbol_terms_match(text: str, term: str | None) -> None:
    matcher: TermMatcher[str] = TermMatcher({"lang": ["C++", ".NET", "C#"]})
    assert matcher.find(text).get("lang", []) == ([term] if term else [])


def test_multi_word_phrases_and_plurals_match_across_punctuation_and_case() -> None:
    matcher: TermMatcher[str] = TermMatcher({"data": ["data pipeline", "machine learning"]})
    assert matcher.find("Our DATA-PIPELINES are slow") == {"data": ["data pipeline"]}
    assert matcher.find("Machine learning!") == {"data": ["machine learning"]}
    assert matcher.find("data. Pipeline") == {}  # a sentence break is not the phrase


def test_terms_match_in_other_languages(taxonomy: Taxonomy) -> None:
    assert "cloud-security" in taxonomy.match("La sécurité du cloud est clé").topics
    assert "ai-ml" in taxonomy.match("Künstliche Intelligenz im Vertrieb").topics
    assert "data-engineering" in taxonomy.match("Ingeniería de datos en tiempo real").topics


def test_matcher_without_terms_finds_nothing() -> None:
    assert TermMatcher[str]({}).find("anything at all") == {}

"""Benchmark: topic matching throughput (texts/s) with a generated 500-topic taxonomy.

Each text goes through the whole per-text path used for interests: normalisation (URLs,
@mentions, emoji, accents), the one-pass Aho-Corasick search with word-boundary checks, and
the hashtag lookup. Target: >= 20,000 texts/s on one core.

    .venv/bin/python bench/interest_extraction.py [--texts 50000] [--topics 500] [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from enrich.scoring.taxonomy import Taxonomy

SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "tre",
    "sun",
    "dat",
    "clo",
    "ops",
    "ver",
    "nix",
    "ter",
    "sec",
    "ai",
    "ml",
    "qu",
    "zen",
    "por",
    "vel",
    "da",
    "ri",
]
FILLER = [
    "we",
    "really",
    "think",
    "this",
    "is",
    "a",
    "great",
    "point",
    "and",
    "said",
    "so",
    "in",
    "the",
    "meeting",
    "yesterday",
    "thanks",
    "for",
    "sharing",
    "the",
    "report",
    "our",
    "team",
    "has",
    "been",
    "looking",
    "at",
    "this",
    "for",
    "months",
    "curious",
    "how",
    "others",
    "handle",
    "it",
    "at",
    "scale",
    "in",
    "production",
    "with",
    "a",
    "small",
    "budget",
    "très",
    "intéressant",
    "merci",
    "für",
    "den",
    "Beitrag",
    "gracias",
    "por",
    "compartir",
]
EXTRAS = ["🚀", "👏", "https://example.com/a/b?c=d", "@someone", "C++", ".NET", "#growth"]


def make_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def make_taxonomy(n_topics: int, rng: random.Random) -> tuple[Taxonomy, list[str]]:
    topics = []
    vocabulary: list[str] = []
    for i in range(n_topics):
        keywords = [make_word(rng) for _ in range(6)]
        phrases = [f"{make_word(rng)} {make_word(rng)}" for _ in range(4)]
        hashtags = [make_word(rng) + make_word(rng) for _ in range(3)]
        vocabulary += keywords + phrases + ["#" + h for h in hashtags]
        topics.append(
            {"name": f"topic-{i}", "keywords": keywords, "phrases": phrases, "hashtags": hashtags}
        )
    return Taxonomy.from_dict({"version": 1, "topics": topics}, "generated"), vocabulary


def make_texts(n: int, vocabulary: list[str], rng: random.Random) -> list[str]:
    texts = []
    for _ in range(n):
        words = rng.choices(FILLER, k=rng.randint(10, 40))
        for _ in range(rng.randint(0, 3)):  # most texts mention a few terms, some none
            words.insert(rng.randrange(len(words) + 1), rng.choice(vocabulary).title())
        if rng.random() < 0.5:
            words.insert(rng.randrange(len(words) + 1), rng.choice(EXTRAS))
        texts.append(" ".join(words))
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=50_000)
    parser.add_argument("--topics", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(42)
    taxonomy, vocabulary = make_taxonomy(args.topics, rng)
    texts = make_texts(args.texts, vocabulary, rng)
    start = time.perf_counter()
    taxonomy.match("warm up builds the automaton")
    build = time.perf_counter() - start
    rates = []
    hits = 0
    for _ in range(args.runs):
        start = time.perf_counter()
        hits = sum(len(taxonomy.match(t).topics) for t in texts)
        rates.append(len(texts) / (time.perf_counter() - start))
    avg_len = sum(map(len, texts)) / len(texts)
    print(
        f"interest_extraction: {args.topics} topics, {args.texts} texts "
        f"(avg {avg_len:.0f} chars), automaton built in {build * 1000:.0f} ms, "
        f"{hits} topic hits"
    )
    print(f"runs (texts/s): {', '.join(f'{r:,.0f}' for r in rates)}")
    print(f"median: {statistics.median(rates):,.0f} texts/s")


if __name__ == "__main__":
    main()

"""Benchmark: the scheduler's daily recompute of every person's score.

Generates a synthetic but realistic touchpoint log (mostly likes and follows, some comments,
replies, shares, quotes, mentions and DMs, on posts drawn from a pool of company posts about
the default taxonomy's topics) and times ``Scorer.score_person`` for every person: dedupe,
topic matching, caps, decay, per-topic scores, interests, breakdown and reason. Data is
generated in each worker before the clock starts (in production it comes from the database).

    .venv/bin/python bench/score_recompute.py            # 100,000 touchpoints / 10,000 people
    .venv/bin/python bench/score_recompute.py --full     # 1,000,000 / 100,000 (target < 60 s)
    options: --touchpoints N --people N --workers 2 --runs 3
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from enrich.scoring.score import Scorer
from enrich.scoring.taxonomy import Taxonomy
from enrich.scoring.touchpoint import Kind, Platform, Touchpoint

AS_OF = datetime(2025, 6, 1, tzinfo=UTC)
KINDS = [
    Kind.LIKE,
    Kind.FOLLOW,
    Kind.COMMENT,
    Kind.SHARE,
    Kind.REPLY,
    Kind.QUOTE,
    Kind.MENTION,
    Kind.DM,
    Kind.UNFOLLOW,
]
KIND_WEIGHTS = [55, 10, 12, 8, 5, 3, 3, 2, 2]
PLATFORMS = [Platform.LINKEDIN, Platform.X, Platform.INSTAGRAM, Platform.FACEBOOK]
PLATFORM_WEIGHTS = [50, 30, 10, 10]
FILLER = [
    "great",
    "point",
    "we",
    "have",
    "been",
    "looking",
    "at",
    "this",
    "for",
    "a",
    "while",
    "thanks",
    "for",
    "sharing",
    "curious",
    "how",
    "you",
    "handle",
    "it",
    "at",
    "scale",
    "merci",
    "beaucoup",
    "danke",
    "gracias",
]
TITLES = ["VP Engineering", "Software Engineer", "CISO", "Head of Data", "Analyst", "CTO", ""]


def _terms(taxonomy: Taxonomy) -> list[str]:
    return [t for topic in taxonomy.topics for t in (*topic.keywords, *topic.phrases)]


def _sentence(rng: random.Random, terms: list[str], n_terms: int) -> str:
    words = rng.choices(FILLER, k=rng.randint(6, 25))
    for _ in range(n_terms):
        words.insert(rng.randrange(len(words) + 1), rng.choice(terms))
    if rng.random() < 0.3:
        words.append(rng.choice(["🚀", "#" + rng.choice(terms).replace(" ", ""), "https://x.co/p"]))
    return " ".join(words)


def generate(shard: int, shards: int, n_touchpoints: int, n_people: int):
    """This shard's people and their touchpoints (deterministic for a given shard)."""
    rng = random.Random(1000 + shard)
    taxonomy = Taxonomy.default()
    terms = _terms(taxonomy)
    posts = [_sentence(random.Random(i), terms, 2) for i in range(2_000)]
    people = [f"p{i:06d}" for i in range(shard, n_people, shards)]
    per_shard = n_touchpoints * len(people) // n_people
    by_person: dict[str, list[Touchpoint]] = {p: [] for p in people}
    for i in range(per_shard):
        person = rng.choice(people)
        kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
        written = kind in (Kind.COMMENT, Kind.REPLY, Kind.QUOTE, Kind.MENTION, Kind.DM)
        by_person[person].append(
            Touchpoint(
                id=f"{shard}-{i}",
                kind=kind,
                platform=rng.choices(PLATFORMS, PLATFORM_WEIGHTS)[0],
                occurred_at=AS_OF - timedelta(seconds=rng.randint(0, 180 * 86_400)),
                text=_sentence(rng, terms, rng.randint(0, 2)) if written else "",
                post_text=rng.choice(posts)
                if kind not in (Kind.FOLLOW, Kind.UNFOLLOW, Kind.DM)
                else "",
                replied_to_us=kind is Kind.REPLY and rng.random() < 0.3,
            )
        )
    fields = {
        p: {"title": rng.choice(TITLES), "is_target_account": rng.choice(["true", "false"])}
        for p in people
    }
    return by_person, fields


def _worker(shard: int, args: argparse.Namespace, barrier, results) -> None:
    by_person, fields = generate(shard, args.workers, args.touchpoints, args.people)
    scorer = Scorer.default()
    barrier.wait()
    for _ in range(args.runs):
        start = time.perf_counter()
        checksum = 0
        for result in scorer.score_many(by_person, as_of=AS_OF, fields_by_person=fields):
            checksum += result.overall.rounded + len(result.reason)
        results.put((shard, time.perf_counter() - start, checksum))
        barrier.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="1,000,000 touchpoints, 100,000 people")
    parser.add_argument("--touchpoints", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.full:
        args.touchpoints, args.people = 1_000_000, 100_000
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(args.workers + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(s, args, barrier, results)) for s in range(args.workers)
    ]
    for p in procs:
        p.start()
    barrier.wait()  # all shards generated
    walls = []
    for _ in range(args.runs):
        start = time.perf_counter()
        got = [results.get() for _ in procs]
        walls.append(time.perf_counter() - start)
        barrier.wait()
    for p in procs:
        p.join()
    print(
        f"score_recompute: {args.touchpoints:,} touchpoints, {args.people:,} people, "
        f"{args.workers} worker(s); checksum {sum(g[2] for g in got)}"
    )
    print(f"runs (s): {', '.join(f'{w:.2f}' for w in walls)}")
    median = statistics.median(walls)
    print(f"median: {median:.2f} s ({args.touchpoints / median:,.0f} touchpoints/s)")


if __name__ == "__main__":
    main()

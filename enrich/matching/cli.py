"""``enrich match``: link two CSVs of people in batch and write the links and review pairs.

The command object ``match`` is registered into the main ``enrich`` CLI by the
application; ``python -m enrich.matching.cli`` runs it on its own. Errors a user can
cause (files, rules) arrive as ``ConfigError`` / ``InputError`` and leave as a
``ClickException``: one precise line on stderr, exit status 1, no traceback.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click
from tqdm import tqdm

from enrich.errors import ConfigError, InputError
from enrich.matching.csvio import LINK_COLUMNS, read_people, read_profiles
from enrich.matching.explain import explanation_text
from enrich.matching.rules import default_rules, load_rules
from enrich.matching.scorer import Decision, Matcher

__all__ = ["match"]

_PATH = click.Path(dir_okay=False, path_type=Path)


@click.command("match")
@click.option("--left", "left_path", required=True, type=_PATH,
              help="CSV of profiles to match (social profiles by default).")
@click.option("--right", "right_path", required=True, type=_PATH,
              help="CSV of people to match against (CRM contacts by default).")
@click.option("--rules", "rules_path", type=_PATH, default=None,
              help="Rules YAML (comparisons, weights, thresholds, column mapping). "
              "Default: the shipped social-profile rules.")
@click.option("--out", "out_path", required=True, type=_PATH,
              help="Where to write left_id,right_id,score,decision,explanation.")
def match(left_path: Path, right_path: Path, rules_path: Path | None, out_path: Path) -> None:
    """Link every row of LEFT to the people of RIGHT: one output row per link or review pair."""
    try:
        rules = load_rules(rules_path) if rules_path else default_rules()
        people = read_people(right_path, rules.right)
        profiles = read_profiles(left_path, rules.left)
    except (ConfigError, InputError) as e:
        raise click.ClickException(str(e)) from None
    matcher = Matcher(rules, people)
    links = reviews = 0
    try:
        fh = out_path.open("w", encoding="utf-8", newline="")
    except OSError as e:
        raise click.ClickException(f"{out_path}: cannot write: {e.strerror}") from None
    with fh:
        writer = csv.writer(fh)
        writer.writerow(LINK_COLUMNS)
        bar = tqdm(profiles, desc="matching", unit="profile", disable=not sys.stderr.isatty())
        for result in map(matcher.match, bar):
            for c in result.candidates:
                if c.decision is Decision.NONE:
                    continue
                links += c.decision is Decision.LINK
                reviews += c.decision is Decision.REVIEW
                writer.writerow(
                    (result.profile_key, c.person_id, f"{c.score:.2f}", c.decision.value,
                     explanation_text(c))
                )
    click.echo(
        f"{len(profiles)} profiles vs {len(people)} people (rules {rules.version}): "
        f"{links} links, {reviews} review pairs -> {out_path}",
        err=True,
    )


if __name__ == "__main__":
    match(prog_name="enrich match")

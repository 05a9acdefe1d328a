"""The rules editor's helpers: which line of the YAML an error is about, and the active match
rules said in plain words for a RevOps reader (who should not need "log2 Bayes factors").

The loaders name the place of an error by its key path (``comparisons[4] (company).levels.
exact.weight: expected a number``) or, for broken YAML, by line; `error_line` turns either into
the line to mark beside the editor.
"""

from __future__ import annotations

import re

import yaml

from enrich.matching.rules import Comparison, RuleSet

_LINE = re.compile(r"\bline (\d+)")
_STEP = re.compile(r"^([A-Za-z_][\w-]*)(?:\[(\d+)\])?(?: \([^)]*\))?$")


def error_line(text: str, message: str) -> int | None:
    """The 1-based line of `text` that `message` is about, or None when it names no place."""
    found = _LINE.search(message)
    if found:
        return int(found.group(1))
    # "match rules: a.b[1] (label).c: what is wrong" -> the path between the prefixes.
    parts = message.split(": ")
    if len(parts) < 2:
        return None
    try:
        node: yaml.Node | None = yaml.compose(text)
    except yaml.YAMLError:
        return None
    for candidate in parts[1:-1] or parts[:1]:
        line = _walk(node, candidate)
        if line is not None:
            return line
    return None


def _walk(node: yaml.Node | None, path: str) -> int | None:
    line = None
    for step in path.split("."):
        matched = _STEP.match(step.strip())
        if node is None or matched is None:
            break
        key, index = matched.group(1), matched.group(2)
        if not isinstance(node, yaml.MappingNode):
            break
        found = next(((k, v) for k, v in node.value if getattr(k, "value", None) == key), None)
        if found is None:
            break
        line, node = found[0].start_mark.line + 1, found[1]
        if index is not None:
            if not isinstance(node, yaml.SequenceNode) or int(index) >= len(node.value):
                break
            node = node.value[int(index)]
            line = node.start_mark.line + 1
    return line


# What each shipped comparison looks at, for people who do not read comparator names.
ABOUT = {
    "identifier": "the CRM record already stores this profile's handle or profile URL",
    "email": "the email addresses",
    "name": "the names (nicknames and initials count, rare names count more)",
    "handle": "whether the handle spells the person's name",
    "company": "the employer named in the bio or handle against the CRM company",
    "title": "the job title in the bio against the CRM title",
    "location": "the profile's location against the CRM city and country",
    "domain": "the website or email domain against the CRM email domain",
}
LEVELS = {
    "exact": "the same",
    "different": "different",
    "fuzzy": "nearly the same",
    "nickname": "a nickname of",
    "initial": "an initial and the family name",
    "acronym": "an acronym of",
    "city": "the same city",
    "country": "the same country",
    "full_name": "the full name",
}


def _points(value: float) -> str:
    return f"{value:+.1f}".replace("-", "−")


def _strongest(comparison: Comparison) -> tuple[str, str]:
    weighted = [
        (level.label, level.weight)
        for level in comparison.levels
        if level.label not in ("null", "no_mention", "unknown")
    ]
    best = max(weighted, key=lambda lw: lw[1], default=None)
    worst = min(weighted, key=lambda lw: lw[1], default=None)
    agree = f"{LEVELS.get(best[0], best[0].replace('_', ' '))}: {_points(best[1])}" if best else ""
    against = (
        f"{LEVELS.get(worst[0], worst[0].replace('_', ' '))}: {_points(worst[1])}"
        if worst and worst[1] < 0
        else ""
    )
    return agree, against


_EVIDENCE = {
    "company": "company",
    "email_domain": "company email domain",
    "phone": "phone number",
    "linkedin_url": "LinkedIn profile",
    "email_local": "email name (beside a personal address)",
}
_SURVIVOR = {
    "contact": "the contact over the lead",
    "exact_email": "the record with the profile's email",
    "recent": "the record changed last",
}


def _duplicates_sentence(rules: RuleSet) -> str:
    d = rules.duplicates
    said = [_EVIDENCE[e] for e in d.evidence]
    same = ", ".join(said[:-1]) + " or " + said[-1] if len(said) > 1 else said[0]
    head = f"Two CRM records with the same name and the same {same} are taken for one person"
    if not d.survivor:
        return f"{head}, but a profile matching both still waits for review."
    keep = ", then ".join(_SURVIVOR[c] for c in d.survivor)
    return f"{head}: a profile matching both is linked to one of them ({keep})."


def match_summary(rules: RuleSet) -> dict[str, object]:
    """The rules as sentences and a table a RevOps reader can check against intent."""
    t = rules.thresholds
    sentences = [
        f"Every social profile is compared with the CRM contacts and leads that could be the "
        f"same person. Each piece of evidence adds or takes away points; a pair starts at "
        f"{_points(rules.prior_weight)} points, because most candidates are someone else.",
        f"At {t.link:g} points or more enrich links the profile by itself"
        + (
            f", provided the best candidate leads the next one by at least "
            f"{t.ambiguity_margin:g} points"
            if t.ambiguity_margin
            else ""
        )
        + ".",
        f"From {t.review:g} to {t.link:g} points the pair waits in the review queue for a "
        f"person to decide. Below {t.review:g} points the profile stays unmatched until new "
        "evidence arrives (a new touchpoint, or a CRM change).",
        _duplicates_sentence(rules),
        "A link a person confirmed or rejected is never changed by the matcher, whatever the "
        "rules say later.",
    ]
    evidence = []
    for comparison in rules.comparisons:
        agree, against = _strongest(comparison)
        evidence.append(
            {
                "name": comparison.name,
                "about": ABOUT.get(comparison.name, comparison.comparator),
                "agree": agree,
                "against": against,
            }
        )
    return {"version": rules.version, "sentences": sentences, "evidence": evidence}

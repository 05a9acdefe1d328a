"""What comparators exist: their input roles, the levels they can return and their options.

This is the vocabulary rule files are written and validated in. It is pure data and
knows nothing of how a comparison is computed (that is ``comparators``), so rules can
be authored, checked and previewed without the string-similarity machinery.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["CATALOG", "NULL_LEVEL", "ComparatorSpec", "OptionSpec"]

# Every comparator may answer "null": one side has nothing to compare.
NULL_LEVEL = "null"


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """A numeric knob of a comparator, with its default and allowed closed range."""

    default: float
    low: float
    high: float
    help: str


@dataclass(frozen=True, slots=True)
class ComparatorSpec:
    """The contract of one comparator."""

    name: str
    help: str
    left_roles: tuple[str, ...]
    right_roles: tuple[str, ...]
    levels: tuple[str, ...]  # strongest first, without "null"
    optional_roles: frozenset[str] = frozenset()
    options: dict[str, OptionSpec] = field(default_factory=dict)
    # Levels whose agreeing value has a frequency in the mirror (term-frequency adjustable).
    tf_levels: frozenset[str] = frozenset()
    # Levels added later -> the older level a rule file without them weighs them as.
    fallbacks: dict[str, str] = field(default_factory=dict)


_SIMILARITY = "similarity in [0, 1] above which two spellings count as the same"

CATALOG: dict[str, ComparatorSpec] = {
    spec.name: spec
    for spec in (
        ComparatorSpec(
            name="person_name",
            help="a display name against first and last name: nicknames, initials, "
            "transliteration, swapped order, typos; a partial display name ('J. Smith', "
            "'Bob S.') is completed by a handle that spells the whole name; names in other "
            "scripts are read in the CRM's Latin spelling; an empty CRM first name is read "
            "from the email ('soren.smith@')",
            left_roles=("name", "handle"),
            right_roles=("first_name", "last_name", "full_name", "email"),
            optional_roles=frozenset({"full_name", "handle", "email"}),
            levels=(
                "exact",
                "nickname",
                "initial",
                "fuzzy",
                "first_name_last_initial",
                "last_name_only",
                "no_first_name",
                "first_name_only",
                "initials_only",
                "other_family_name",
                "different",
            ),
            options={"fuzzy_similarity": OptionSpec(0.88, 0.5, 1.0, _SIMILARITY)},
            tf_levels=frozenset(
                {
                    "exact",
                    "nickname",
                    "initial",
                    "fuzzy",
                    "first_name_last_initial",
                    "last_name_only",
                    "no_first_name",
                }
            ),
            fallbacks={
                "initials_only": "different",
                "other_family_name": "different",
                "no_first_name": "last_name_only",
            },
        ),
        ComparatorSpec(
            name="handle_name",
            help="a handle against the name it may be built from "
            "(jsmith, john.smith, smithj, johnsmith42, bob_s, jsmith_acme)",
            left_roles=("handle",),
            right_roles=("first_name", "last_name", "full_name"),
            optional_roles=frozenset({"full_name"}),
            levels=(
                "full_name",
                "initial_last",
                "first_last_initial",
                "last_name",
                "first_name",
                "different",
            ),
        ),
        ComparatorSpec(
            name="company",
            help="the employer named in a bio or display name (or a website domain) "
            "against the CRM company: legal suffixes, acronyms, '@ Acme', 'at Acme', "
            "or only a handle suffix ('jsmith_acme'); the company's other names (a "
            "renamed company's former name or new brand, ';'-separated) count as it, and "
            "another employer named where the profile's website is the CRM company's "
            "domain (right `domains`, e.g. the record's email) is not held against it",
            left_roles=("text", "domains", "handle"),
            right_roles=("company", "former_names", "domains"),
            optional_roles=frozenset({"domains", "handle", "former_names"}),
            levels=("exact", "acronym", "fuzzy", "different", "handle", "no_mention"),
            options={"fuzzy_similarity": OptionSpec(0.9, 0.5, 1.0, _SIMILARITY)},
            fallbacks={"handle": "no_mention"},
        ),
        ComparatorSpec(
            name="title",
            help="the job title a bio or display name states against the CRM title: "
            "abbreviations (VP Eng, CTO, Dir.) expanded, seniority words and fillers "
            "ignored ('Sr. Dir. of Mktg' = 'Director, Marketing'); of a display name given "
            "as `name`, only what follows the name ('Jane Doe | CFO')",
            left_roles=("text", "name"),
            right_roles=("title",),
            optional_roles=frozenset({"name"}),
            levels=("exact", "different", "no_mention"),
        ),
        ComparatorSpec(
            name="location",
            help="a free-text location against city and country, with city aliases",
            left_roles=("location",),
            right_roles=("city", "country"),
            optional_roles=frozenset({"country"}),
            levels=("city", "country", "different", "unknown"),
            options={"fuzzy_similarity": OptionSpec(0.92, 0.5, 1.0, _SIMILARITY)},
            tf_levels=frozenset({"country"}),
        ),
        ComparatorSpec(
            name="email",
            help="email addresses, exactly (case and +tags ignored)",
            left_roles=("email",),
            right_roles=("email",),
            levels=("exact", "different"),
        ),
        ComparatorSpec(
            name="email_domain",
            help="company domains from emails and websites; free-mail and social hosts ignored",
            left_roles=("domains",),
            right_roles=("domains",),
            levels=("exact", "different"),
        ),
        ComparatorSpec(
            name="string",
            help="any two text values (postcode, date of birth, street, an id), folded to "
            "lower-case ASCII: exact, then Jaro-Winkler bands (close, fuzzy)",
            left_roles=("value",),
            right_roles=("value",),
            levels=("exact", "close", "fuzzy", "different"),
            options={
                "close_similarity": OptionSpec(0.95, 0.5, 1.0, _SIMILARITY + " (close)"),
                "fuzzy_similarity": OptionSpec(0.85, 0.5, 1.0, _SIMILARITY + " (fuzzy)"),
            },
            tf_levels=frozenset({"exact"}),
        ),
        ComparatorSpec(
            name="identifier",
            help="a profile URL or handle stored on the CRM record (decisive)",
            left_roles=("handle", "url", "platform"),
            right_roles=("x_handle", "linkedin_url"),
            optional_roles=frozenset({"handle", "platform", "x_handle", "linkedin_url"}),
            levels=("exact", "different"),
        ),
    )
}

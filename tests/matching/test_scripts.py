"""Names in other scripts (issue 23): a profile showing its name in Arabic, Greek, Cyrillic,
Chinese, Japanese or Korean meets the Latin spelling the CRM holds, whichever of the
spellings people really use it is; a different name in that script is still different."""

from __future__ import annotations

import pytest

from enrich.matching.comparators import COMPARATORS
from enrich.matching.profile import Person, Profile
from enrich.matching.rules import RuleSet
from enrich.matching.scorer import Decision, Matcher


def _name_level(rules: RuleSet, shown: str, first: str, last: str) -> tuple[str, str]:
    rule = next(c for c in rules.comparisons if c.comparator == "person_name")
    left, right = {"name": (shown,)}, {"first_name": (first,), "last_name": (last,)}
    return COMPARATORS["person_name"](left, right, rule)


@pytest.mark.parametrize(
    ("shown", "first", "last"),
    [
        # Arabic: short vowels are not written; the article al-/el- may be kept or not.
        ("حسن المصري", "HASSAN", "AL-MASRI"),
        ("حسن المصري", "Hasan", "El-Masry"),
        ("محمد حداد", "Mohammed", "Haddad"),
        ("محمد حداد", "Muhammad", "Haddad"),
        ("محمد حداد", "Mohamed", "Haddad"),
        ("عائشة الخطيب", "Aicha", "Alkhatib"),
        ("يوسف خوري", "Yusuf", "Khoury"),
        # Greek: ELOT (γγ -> ng, η -> i) and the older spellings (gg, c for κ).
        ("Αγγελική Κωνσταντίνου", "Angeliki", "Konstantinou"),
        ("Αγγελική Κωνσταντίνου", "Aggeliki", "Constantinou"),
        ("Γιάννης Χατζηδάκης", "Yannis", "Hadjidakis"),
        ("Ευτυχία Οικονόμου", "Eftihia", "Economou"),
        # Cyrillic: ё, й and ь in each of their spellings.
        ("Юлия Соловьёва", "Yulia", "Solovyova"),
        ("Юлия Соловьёва", "Iuliia", "Solovieva"),
        ("Евгений Щербаков", "Yevgeny", "Scherbakov"),
        # Chinese: family name first, written together; Hong Kong and Taiwan spellings.
        ("张伟", "Wei", "Zhang"),
        ("张伟", "Wei", "Cheung"),
        ("陈小明", "Xiao-Ming", "Chan"),
        # Japanese: kanji read as Japanese, kana; long vowels dropped or written.
        ("佐藤 太郎", "Taro", "Sato"),
        ("佐藤太郎", "Tarou", "Satoh"),
        ("さとう ゆうこ", "Yuko", "Sato"),
        # Korean: family names' own spellings, older romanisations of given names.
        ("김민준", "Min-jun", "Kim"),
        ("이서연", "Suh-yeon", "Lee"),
        ("이서연", "Seoyeon", "Yi"),
        ("정영희", "Young-hee", "Chung"),
        ("박지훈", "Ji-hoon", "Park"),
    ],
)
def test_a_native_name_meets_each_latin_spelling_people_use(
    rules: RuleSet, shown: str, first: str, last: str
) -> None:
    level, why = _name_level(rules, shown, first, last)
    assert level == "exact", why
    assert "read as" in why


@pytest.mark.parametrize(
    ("shown", "first", "last"),
    [
        ("محمد حداد", "Ahmed", "Haddad"),  # another first name in the same script
        ("Αγγελική Κωνσταντίνου", "Eleni", "Konstantinou"),
        ("김민준", "Min-jun", "Park"),  # another family name
        ("张伟", "Fang", "Zhang"),
        ("佐藤 太郎", "Taro", "Suzuki"),
        ("Юлия Соловьёва", "Yulia", "Ivanova"),
    ],
)
def test_another_name_in_the_same_script_is_not_the_same_name(
    rules: RuleSet, shown: str, first: str, last: str
) -> None:
    level, why = _name_level(rules, shown, first, last)
    assert level not in {"exact", "nickname", "fuzzy"}, why


def test_an_arabic_name_at_the_crm_employer_reaches_the_scorer_and_is_linked(
    rules: RuleSet,
) -> None:
    """The issue's case: "حسن المصري" against CRM "HASSAN AL-MASRI" at the same employer,
    title and city, among namesakes in the CRM that blocking must not drown it in."""
    people = [
        Person("hassan", "HASSAN", "AL-MASRI", company="Waller & Sons", title="CFO", city="Cairo"),
        Person("ahmed", "Ahmed", "Al-Masri", company="Globex", city="Cairo"),
        Person("hassan2", "Hassan", "Haddad", company="Initech", city="Dubai"),
        *(Person(f"p{i}", "Hassan", f"Name{i}", company="Other", city="Cairo") for i in range(60)),
    ]
    result = Matcher(rules, people).match(
        Profile(
            key="p",
            platform="linkedin",
            display_name="حسن المصري",
            bio="CFO at Waller & Sons",
            location="Cairo, Egypt",
        )
    )
    assert result.decision is Decision.LINK
    assert result.link is not None and result.link.person_id == "hassan"


@pytest.mark.parametrize(
    "shown",
    ["张伟 Wei Zhang", "Wei Zhang (张伟)", "张伟 (Wei)"],
)
def test_a_dual_name_is_read_in_either_script(rules: RuleSet, shown: str) -> None:
    level, why = _name_level(rules, shown, "Wei", "Zhang")
    assert level in {"exact", "first_name_only"}, why
    if shown != "张伟 (Wei)":
        assert level == "exact", why


def test_a_korean_name_is_found_by_blocking_under_its_family_names_spelling(
    rules: RuleSet,
) -> None:
    """ "이서연" is Lee in the CRM: unidecode's "i" would never share a key with it."""
    people = [
        Person("her", "Seo-yeon", "Lee", company="Hooli", city="Seoul"),
        *(Person(f"p{i}", "Jane", f"Doe{i}", company="Hooli", city="Seoul") for i in range(30)),
    ]
    result = Matcher(rules, people).match(
        Profile(key="p", platform="x", display_name="이서연", bio="PM @ Hooli", location="Seoul")
    )
    assert result.candidates and result.candidates[0].person_id == "her"
    assert result.decision is Decision.LINK

"""What a profile says that counts, and what does not: titles, nicknames, handles, countries."""

from __future__ import annotations

import pytest

from enrich.matching import given_names as gn
from enrich.matching import normalize as nz
from enrich.matching.comparators import COMPARATORS, FAST_LEVELS
from enrich.matching.profile import Person, Profile
from enrich.matching.rules import Comparison, RuleSet
from enrich.matching.scorer import Contribution, Matcher


def _p(display_name: str = "", **kw: str) -> Profile:
    return Profile(
        key=kw.pop("key", "p"), platform=kw.pop("platform", "x"), display_name=display_name, **kw
    )


def _rule(rules: RuleSet, comparator: str) -> Comparison:
    return next(c for c in rules.comparisons if c.comparator == comparator)


def _part(m: Matcher, profile: Profile, person_id: str, comparison: str) -> Contribution:
    cand = next(c for c in m.match(profile).candidates if c.person_id == person_id)
    return next(c for c in cand.contributions if c.comparison == comparison)


@pytest.mark.parametrize("bio", ["RevOps Lead at Acme", "Tech Lead", "Design lead @ Hooli"])
def test_a_lead_states_a_title(rules: RuleSet, bio: str) -> None:
    got = COMPARATORS["title"](
        {"text": (bio,)}, {"title": ("Head of Sales",)}, _rule(rules, "title")
    )
    assert got[0] == "different"


def test_the_lead_s_own_title_still_agrees(rules: RuleSet) -> None:
    got = COMPARATORS["title"](
        {"text": ("RevOps Lead at Acme",)}, {"title": ("RevOps Lead",)}, _rule(rules, "title")
    )
    assert got[0] == "exact"


def _title_level(rules: RuleSet, crm_title: str, **left: tuple[str, ...]) -> str:
    return COMPARATORS["title"](left, {"title": (crm_title,)}, _rule(rules, "title"))[0]


def test_a_display_name_states_its_title_after_the_name(rules: RuleSet) -> None:
    assert _title_level(rules, "CFO", text=(), name=("Jane Doe | CFO at Acme",)) == "exact"
    assert (
        _title_level(rules, "CFO", text=("Opinions my own",), name=("Jane Doe • Head of Sales",))
        == "different"
    )


def test_a_family_name_that_spells_a_title_is_no_title(rules: RuleSet) -> None:
    """ "Aisha Coo" (a typo of Cook) is not the COO, nor someone who states another title."""
    cook, chen = (
        Person("cook", "Aisha", "Cook", title="COO"),
        Person("chen", "Aisha", "Chen", title="CFO"),
    )
    m = Matcher(rules, [cook, chen])
    profile = _p("Aisha Coo", bio="Opinions my own")
    title_of = {
        p.id: next(c for c in m.contributions(profile, p) if c.comparison == "title")
        for p in (cook, chen)
    }
    assert title_of["cook"].level == "no_mention" and title_of["chen"].level == "no_mention"


def test_old_rules_reading_the_display_name_as_text_still_work(rules: RuleSet) -> None:
    assert _title_level(rules, "CFO", text=("Coffee and code", "Jane Doe | CFO")) == "exact"


def test_two_given_names_sharing_a_listed_nickname_are_not_related() -> None:
    # The nickname list relates Robert and William both to Bill; neither shortens Bill.
    assert not gn.nickname_related("robert", "william")
    assert gn.nickname_related("bob", "rob")  # both shorten Robert
    assert gn.nickname_related("bill", "william")
    assert gn.nickname_related("jon", "jack")  # both forms of John


def test_the_nickname_table_is_the_nicknames_package_s() -> None:
    """Read from its names.csv without importing the package: the lookups of its NickNamer."""
    from nicknames import NickNamer

    nn = NickNamer()
    nicks, canonicals = gn._nickname_tables()
    assert {k: set(v) for k, v in nicks.items()} == nn.nickname_lookup
    assert {k: set(v) for k, v in canonicals.items()} == nn.canonical_lookup
    assert gn.nicknames_of(" Robert ") == nn.nicknames_of("robert")
    assert "bob" in gn.nicknames_of("robert")
    assert gn.nicknames_of("zzyzx") == frozenset()


def test_robert_is_not_read_as_a_nickname_of_william(rules: RuleSet) -> None:
    got = COMPARATORS["person_name"](
        {"name": ("Robert Anderson",)},
        {"first_name": ("William",), "last_name": ("Anderson",)},
        _rule(rules, "person_name"),
    )
    assert got[0] == "different"


def test_a_common_name_written_is_not_made_rare_by_a_nickname(rules: RuleSet) -> None:
    """John Garcia (common) meets Jonathan Garcia (rare) at nickname: the commoner counts."""
    people = [Person(f"jg{i}", "John", "Garcia", company=f"Co{i}") for i in range(12)]
    people += [Person(f"o{i}", f"Name{i}", f"Family{i}") for i in range(40)]
    people.append(Person("jonathan", "Jonathan", "Garcia", company="Acme"))
    m = Matcher(rules, people)
    nickname = _part(m, _p("John Garcia"), "jonathan", "name")
    exact = _part(m, _p("John Garcia"), "jg0", "name")
    assert nickname.level == "nickname"
    assert nickname.weight < exact.weight
    assert "the name as given (John Garcia)" in nickname.explanation


def test_family_name_in_the_handle_completes_a_first_name_and_initial(rules: RuleSet) -> None:
    rule = _rule(rules, "person_name")
    crm = {"first_name": ("Elizabeth",), "last_name": ("Müller",)}
    got = COMPARATORS["person_name"]({"name": ("Liz M.",), "handle": ("mullere",)}, crm, rule)
    assert got[0] == "nickname"
    assert "spells out the family name" in got[1]
    other = COMPARATORS["person_name"]({"name": ("Liz M.",), "handle": ("millere",)}, crm, rule)
    assert other[0] == "first_name_last_initial"


def test_a_middle_initial_before_a_family_name_is_not_the_family_initial(rules: RuleSet) -> None:
    rule = _rule(rules, "person_name")
    got = COMPARATORS["person_name"](
        {"name": ("Aisha M. Gutierrez",)}, {"first_name": ("Aisha",), "last_name": ("Moore",)}, rule
    )
    assert got[0] == "other_family_name"  # Aisha, but not Moore: "M." is no family initial
    bob = COMPARATORS["person_name"](
        {"name": ("Bob S.",)}, {"first_name": ("Robert",), "last_name": ("Smith",)}, rule
    )
    assert bob[0] == "first_name_last_initial"


def test_agreeing_on_a_small_country_says_more_than_on_a_big_one(rules: RuleSet) -> None:
    people = [Person(f"us{i}", f"Name{i}", f"Family{i}", country="USA") for i in range(30)]
    people += [
        Person("ana", "Ana", "Silva", country="Portugal"),
        Person("amy", "Amy", "Stone", country="USA"),
    ]
    m = Matcher(rules, people)
    small = _part(m, _p("Ana Silva", location="Portugal"), "ana", "location")
    big = _part(m, _p("Amy Stone", location="USA"), "amy", "location")
    assert small.level == big.level == "country"
    assert small.weight > big.weight


def test_weights_read_the_same_from_the_cache_of_their_texts() -> None:
    from enrich.matching.explain import explanation_text
    from enrich.matching.scorer import Candidate, Decision

    def text(*weights: float) -> str:
        parts = tuple(Contribution(f"c{i}", "exact", w, "why") for i, w in enumerate(weights))
        return explanation_text(Candidate("x", sum(weights), Decision.LINK, parts))

    for _ in range(2):  # the second time from the cache
        assert text(2.25, -0.0, 0.0) == (
            "c0=exact(+2.2): why; c1=exact(-0.0): why; c2=exact(+0.0): why"
        )


@pytest.mark.parametrize(
    ("handle", "level"),
    [
        ("suzy_w", "first_last_initial"),
        ("suzywilson", "full_name"),
        ("susie_w", "first_last_initial"),  # the spelling the nickname list has
    ],
)
def test_a_pet_name_in_a_handle_counts_in_any_usual_spelling(
    rules: RuleSet, handle: str, level: str
) -> None:
    """Handles are read with the nicknames display names are read with: the list spells
    Susan's Susie or Suzie, and "Suzy Wilson" is already her nickname in a display name."""
    crm = {"first_name": ("Susan",), "last_name": ("Wilson",)}
    assert (
        COMPARATORS["person_name"]({"name": ("Suzy Wilson",)}, crm, _rule(rules, "person_name"))[0]
        == "nickname"
    )
    got = COMPARATORS["handle_name"]({"handle": (handle,)}, crm, _rule(rules, "handle_name"))
    assert got[0] == level


def test_a_handle_spelling_a_pet_name_completes_an_initial(rules: RuleSet) -> None:
    """ "K. Cooper" with the handle katiecooper gives Katherine Cooper's whole name (Katy in
    the list), as kathycooper does."""
    crm = {"first_name": ("Katherine",), "last_name": ("Cooper",)}
    rule = _rule(rules, "person_name")
    for handle in ("katiecooper", "kathycooper"):
        got = COMPARATORS["person_name"]({"name": ("K. Cooper",), "handle": (handle,)}, crm, rule)
        assert got[0] == "nickname", handle


def test_a_three_letter_pet_name_is_not_respelled_in_a_handle(rules: RuleSet) -> None:
    """Kay is a nickname of Katherine; Kai is mostly a name of its own."""
    got = COMPARATORS["handle_name"](
        {"handle": ("kaicooper",)},
        {"first_name": ("Katherine",), "last_name": ("Cooper",)},
        _rule(rules, "handle_name"),
    )
    assert got[0] == "last_name"


def _name_level(rules: RuleSet, shown: str, first: str, last: str) -> str:
    """The person_name level, checked against the batch fast level (which must agree
    or pass)."""
    rule = _rule(rules, "person_name")
    left, right = {"name": (shown,)}, {"first_name": (first,), "last_name": (last,)}
    level = COMPARATORS["person_name"](left, right, rule)[0]
    fast = FAST_LEVELS["person_name"]
    quick = fast.bind(rule)(fast.prepare(left), fast.prepare_right(right))
    assert quick in {None, level}, (shown, first, quick, level)
    return level


def test_a_transliterated_first_name_is_the_name_itself(rules: RuleSet) -> None:
    """unidecode writes Дмитрий "Dmitrii": the CRM's Dmitry is the same name, as exact
    (and as heavy) as the display name "Dmitry Ivanov"."""
    assert gn.first_name_spelling(nz.parse_display_name("Дмитрий Иванов").tokens[0]) == "dmitry"
    people = [Person("dmitry", "Dmitry", "Ivanov"), Person("other", "Oleg", "Petrov")]
    m = Matcher(rules, people)
    cyrillic = _part(m, _p("Дмитрий Иванов"), "dmitry", "name")
    latin = _part(m, _p("Dmitry Ivanov"), "dmitry", "name")
    assert cyrillic.level == latin.level == "exact"
    assert cyrillic.weight == latin.weight


@pytest.mark.parametrize(
    ("shown", "first"),
    [
        ("Yuriy Gagarin", "Yury"),
        ("Yurii Gagarin", "Yuriy"),
        ("Dmitrij Gagarin", "Dmitrii"),
        ("Anatolii Gagarin", "Anatoly"),
        ("Vasilii Gagarin", "Vasily"),
        ("Arkadii Gagarin", "Arkady"),
    ],
)
def test_ii_iy_ij_and_y_endings_spell_one_first_name(
    rules: RuleSet, shown: str, first: str
) -> None:
    assert _name_level(rules, shown, first, "Gagarin") == "exact"
    alone = shown.split()[0]
    assert _name_level(rules, alone, first, "Gagarin") == "first_name_only"
    assert gn.first_name_keys(nz.fold(alone)) & gn.first_name_keys(nz.fold(first))  # blocking


def test_only_first_names_are_respelled(rules: RuleSet) -> None:
    """Family names are compared as written: Vysotskii is not made Vysotsky."""
    assert _name_level(rules, "Ivan Vysotskii", "Ivan", "Vysotsky") == "fuzzy"


@pytest.mark.parametrize(
    ("shown", "first"),
    [
        ("Yuri Gagarin", "Yurii"),
        ("Yuri Gagarin", "Yury"),
        ("Yurij Gagarin", "Yuri"),
        ("Dmitri Gagarin", "Dmitrii"),
        ("Dmitri Gagarin", "Dmitry"),
        ("Vitali Gagarin", "Vitalii"),
        ("Evgeni Gagarin", "Evgeniy"),
        ("Andrei Gagarin", "Andrey"),
        ("Andrej Gagarin", "Andrei"),
        ("Sergei Gagarin", "Sergey"),
        ("Alexei Gagarin", "Alexey"),
        ("Aleksei Gagarin", "Aleksey"),
        ("Nikolai Gagarin", "Nikolay"),
        ("Nikolaj Gagarin", "Nikolai"),
    ],
)
def test_i_ei_and_ai_endings_spell_one_first_name(rules: RuleSet, shown: str, first: str) -> None:
    """Юрий, Андрей, Николай are written Yuri or Yury, Andrei or Andrey, Nikolai or
    Nikolay as often as unidecode's Yurii, Andrei, Nikolai: one name, as -ii and -y are."""
    assert _name_level(rules, shown, first, "Gagarin") == "exact"
    alone = shown.split()[0]
    assert _name_level(rules, alone, first, "Gagarin") == "first_name_only"
    assert gn.first_name_keys(nz.fold(alone)) & gn.first_name_keys(nz.fold(first))  # blocking


@pytest.mark.parametrize(
    ("cyrillic", "first"),
    [
        ("Андрей", "Andrey"),
        ("Сергей", "Sergey"),
        ("Николай", "Nikolay"),
        ("Алексей", "Aleksey"),
    ],
)
def test_a_cyrillic_first_name_meets_its_usual_latin_spelling(
    rules: RuleSet, cyrillic: str, first: str
) -> None:
    assert _name_level(rules, f"{cyrillic} Иванов", first, "Ivanov") == "exact"


@pytest.mark.parametrize(
    ("shown", "handle", "first"),
    [
        ("Yuri G.", "yurii_gagarin", "Yury"),
        ("Dmitry G.", "dmitriigagarin", "Dmitri"),
        ("Andrey G.", "andrei.gagarin", "Andrey"),
        ("Nikolay G.", "nikolaigagarin", "Nikolai"),
    ],
)
def test_a_handle_in_another_transliteration_spells_out_the_name(
    rules: RuleSet, shown: str, handle: str, first: str
) -> None:
    """The handle completes "Yuri G." in any spelling the name comparator takes as
    the CRM first name, and the handle comparator reads it as the full name too."""
    left = {"name": (shown,), "handle": (handle,)}
    right = {"first_name": (first,), "last_name": ("Gagarin",)}
    assert COMPARATORS["person_name"](left, right, _rule(rules, "person_name"))[0] == "exact"
    assert COMPARATORS["handle_name"](left, right, _rule(rules, "handle_name"))[0] == "full_name"


def test_giovanni_and_giovanny_are_one_name(rules: RuleSet) -> None:
    """Decided: from six letters a final -i is read as -y. Giovanny is the Latin American
    spelling of Giovanni, as Tiffani of Tiffany: a long name's -i/-y spellings are one."""
    assert _name_level(rules, "Giovanni Rossi", "Giovanny", "Rossi") == "exact"


@pytest.mark.parametrize(
    "name",
    [
        "ky",
        "ivy",
        "amy",
        "guy",
        "roy",
        "jay",
        "rudy",
        "tony",
        "toni",
        "mary",
        "jerry",
        "harry",
        "percy",
        "rudi",
        "mari",
        "mei",
        "kai",
        "eli",
        "jordi",
        "henri",
        "naomi",
        "emili",
        "luigi",
        "terri",
    ],
)
def test_short_and_english_first_names_keep_their_spelling(name: str) -> None:
    """Under six letters only -ii/-iy/-ij names (from five) and Yuri are respelled; a
    name ending in -y is its own spelling, so it meets nothing new but those."""
    assert gn.first_name_spelling(name) == name


@pytest.mark.parametrize(
    ("shown", "first", "level"),
    [
        ("Rudy Smith", "Rudi", "nickname"),  # as before: diminutive spellings
        ("Tony Smith", "Toni", "nickname"),
        ("Jerry Smith", "Jerri", "nickname"),
        ("Kai Smith", "Kay", "nickname"),
        ("Eli Smith", "Ely", "nickname"),
        ("Henri Smith", "Henry", "nickname"),
        ("Mei Smith", "May", "different"),
        ("Mary Smith", "Mariia", "different"),  # Мария: not respelled (ends in -a)
        ("Yuri Smith", "Yuki", "different"),
        ("Yuri Smith", "Yulia", "different"),
        ("Andrei Smith", "Andrii", "fuzzy"),  # Ukrainian Андрій: respelled Andry, not Andrey
    ],
)
def test_names_near_the_respelled_ones_keep_their_level(
    rules: RuleSet, shown: str, first: str, level: str
) -> None:
    assert _name_level(rules, shown, first, "Smith") == level


def test_marii_is_read_as_mary(rules: RuleSet) -> None:
    """Decided: "Marii"/"Mariy" (five letters, -ii/-iy) is a spelling of Mary. English
    names do not end in -ii, so only a name really written so meets Mary; the rare
    Марий (Marius) would too, a risk accepted for Dmitrii, Yurii and the like."""
    assert _name_level(rules, "Marii Smith", "Mary", "Smith") == "exact"
    assert _name_level(rules, "Mary Smith", "Marie", "Smith") != "exact"


def _company(rules: RuleSet, bio: str, crm_company: str) -> str:
    return COMPARATORS["company"](
        {"text": (bio,), "domains": (), "handle": ()},
        {"company": (crm_company,)},
        _rule(rules, "company"),
    )[0]


@pytest.mark.parametrize(
    "bio",
    [
        "Head of Sales @ WG",
        "Controller at WG. Dog mom.",
        "VP of Sales | WG",
        "Head of Sales at Newco. Ex-WG.",
    ],
)
def test_two_initials_name_a_hyphenated_employer(rules: RuleSet, bio: str) -> None:
    assert _company(rules, bio, "Williams-Gomez LLC") == "acronym"


def test_initials_of_a_named_partnership_name_it(rules: RuleSet) -> None:
    assert _company(rules, "Director at KWP", "Keller, Ward and Price") == "acronym"


@pytest.mark.parametrize(
    ("bio", "crm_company"),
    [
        ("Head of HR at Newco", "Hall-Reed"),  # a common abbreviation is no acronym
        ("wg fan, coffee", "Williams-Gomez"),  # two lower-case letters are no name
    ],
)
def test_two_letters_alone_do_not_name_a_company(
    rules: RuleSet, bio: str, crm_company: str
) -> None:
    assert _company(rules, bio, crm_company) != "acronym"


@pytest.mark.parametrize("crm_last", ["Schmidt", "Keller"])
def test_a_maiden_name_in_parentheses_meets_either_family_name(
    rules: RuleSet, crm_last: str
) -> None:
    got = COMPARATORS["person_name"](
        {"name": ("Anna Keller (Schmidt)",), "handle": ()},
        {"first_name": ("Anna",), "last_name": (crm_last,), "full_name": ()},
        _rule(rules, "person_name"),
    )
    assert got[0] == "exact"


def test_a_married_name_is_blocked_with_the_maiden_one(rules: RuleSet) -> None:
    m = Matcher(
        rules, [Person(id="c1", first_name="Anna", last_name="Schmidt", company="Keller GmbH")]
    )
    assert [p.id for p in m.candidates(_p("Anna Keller (Schmidt)"))] == ["c1"]


@pytest.mark.parametrize("shown", ["Jane Doe (CEO)", "Jane Doe (she/her)", "Jane Doe (NYC)"])
def test_parentheses_holding_no_name_are_not_a_family_name(shown: str) -> None:
    assert nz.parse_display_name(shown).tokens == ("jane", "doe")


def test_a_name_held_once_weighs_by_how_common_its_parts_are(rules: RuleSet) -> None:
    """Two full names each held by one record: "John Lee" (many Johns, many Lees: more
    John Lees are likely out there) says less than "Ignatius Quarshie" (both parts rare)."""
    people = [Person(f"j{i}", "John", f"Other{i}") for i in range(30)]
    people += [Person(f"l{i}", f"Other{i}", "Lee") for i in range(30)]
    people += [Person(f"x{i}", f"Given{i}", f"Family{i}") for i in range(200)]
    people += [Person("jl", "John", "Lee"), Person("iq", "Ignatius", "Quarshie")]
    m = Matcher(rules, people)
    common = _part(m, _p("John Lee"), "jl", "name")
    rare = _part(m, _p("Ignatius Quarshie"), "iq", "name")
    assert common.level == rare.level == "exact"
    assert rare.weight > common.weight
    assert "other holders expected" in rare.explanation


def test_a_married_name_with_employer_title_and_city_reaches_review_never_a_link(
    rules: RuleSet,
) -> None:
    """ "Anna Keller" for the CRM's Anna Schmidt: the first name agrees, the family name is
    another. With her employer, title and city a reviewer should see it; it is never
    enough for a link, and without them it is nothing (another Anna)."""
    people = [
        Person("anna", "Anna", "Schmidt", company="Globex", title="CFO", city="Berlin"),
        Person("ben", "Ben", "Ortiz", company="Globex", title="CTO", city="Berlin"),
    ]
    m = Matcher(rules, people)
    married = m.match(_p("Anna Keller", bio="CFO at Globex", location="Berlin"))
    assert married.decision.value == "review"
    [cand] = married.reviews
    assert cand.person_id == "anna"
    name = next(c for c in cand.contributions if c.comparison == "name")
    assert name.level == "other_family_name"
    assert "family name Keller is not Schmidt" in name.explanation
    stranger = m.match(_p("Anna Keller", bio="Writer", location="Lisbon"))
    assert stranger.decision.value == "none"
    other_first_name = m.match(_p("Clara Keller", bio="CFO at Globex", location="Berlin"))
    assert other_first_name.decision.value == "none"

"""Seeded generator of CRM contacts and social profiles with ground truth, for the matcher.

It draws a CRM mirror of people (names with realistic frequencies, so namesakes occur;
companies with legal forms and acronyms; cities with aliases) and a stream of social
profiles. Some profiles belong to a CRM person, rendered with the noise seen on social
platforms (nicknames, initials, "| VP Eng at Acme", emoji, degrees, all caps, dropped or
added diacritics, Cyrillic spellings, swapped order, typos, handles of many shapes,
stale company or city); the others belong to people *not* in the CRM, including exact
namesakes at other companies and near-namesakes at the same company as a CRM person.

    python bench/matching_data.py --seed 1 --people 20000 --profiles 3000 --out /tmp/m
writes profiles.csv, contacts.csv (the CLI's default columns) and truth.csv there.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from enrich.matching.profile import Person, Profile  # noqa: E402

# (CRM spelling, nicknames people use on social media)
FIRST = [
    ("Robert", ["Bob", "Rob", "Bobby"]),
    ("William", ["Bill", "Will", "Billy"]),
    ("Elizabeth", ["Liz", "Beth", "Betty"]),
    ("Margaret", ["Maggie", "Peggy", "Meg"]),
    ("James", ["Jim", "Jimmy"]),
    ("John", ["Johnny", "Jack"]),
    ("Michael", ["Mike", "Mikey"]),
    ("Richard", ["Rick", "Dick", "Rich"]),
    ("Thomas", ["Tom", "Tommy"]),
    ("Katherine", ["Kate", "Katie", "Kathy"]),
    ("Jennifer", ["Jen", "Jenny"]),
    ("Christopher", ["Chris"]),
    ("Daniel", ["Dan", "Danny"]),
    ("Matthew", ["Matt"]),
    ("Anthony", ["Tony"]),
    ("Joseph", ["Joe", "Joey"]),
    ("Patricia", ["Pat", "Patty"]),
    ("Susan", ["Sue", "Suzy"]),
    ("Deborah", ["Debbie", "Deb"]),
    ("Alexander", ["Alex"]),
    ("Nicholas", ["Nick"]),
    ("Benjamin", ["Ben"]),
    ("Samuel", ["Sam"]),
    ("Jonathan", ["Jon"]),
    ("Andrew", ["Andy", "Drew"]),
    ("Steven", ["Steve"]),
    ("Timothy", ["Tim"]),
    ("Rebecca", ["Becky"]),
    ("Victoria", ["Vicky", "Tori"]),
    ("Jessica", ["Jess"]),
    ("Edward", ["Ed", "Ted"]),
    ("Charles", ["Charlie", "Chuck"]),
    ("David", ["Dave"]),
    ("Kimberly", ["Kim"]),
    ("Jane", []),
    ("Laura", []),
    ("Sarah", []),
    ("Emily", []),
    ("Olivia", []),
    ("Sophia", []),
    ("Mark", []),
    ("Paul", []),
    ("Kevin", []),
    ("Brian", []),
    ("Jason", []),
    ("Ryan", []),
    ("Eric", []),
    ("Anna", []),
    ("José", []),
    ("François", []),
    ("Zoë", []),
    ("Björn", []),
    ("Łukasz", []),
    ("Søren", []),
    ("Chloé", []),
    ("Renée", []),
    ("André", []),
    ("Jürgen", []),
    ("Inês", []),
    ("Priya", []),
    ("Wei", []),
    ("Yuki", []),
    ("Aisha", []),
    ("Mohammed", []),
    ("Fatima", []),
    ("Ahmed", []),
    ("Olga", []),
    ("Dmitry", []),
    ("Sergei", []),
    ("Ivan", []),
    ("Natalia", []),
    ("Hiroshi", []),
    ("Mei", []),
    ("Carlos", []),
    ("Lucía", []),
    ("Mateo", []),
    ("Giulia", []),
    ("Lars", []),
]
LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Nguyen",
    "Kim",
    "Patel",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Dubois",
    "Lefèvre",
    "Rossi",
    "Russo",
    "Kowalski",
    "Nowak",
    "Ivanov",
    "Petrov",
    "Tanaka",
    "Suzuki",
    "Wang",
    "Li",
    "Zhang",
    "Chen",
    "O'Brien",
    "McDonald",
    "van der Berg",
    "García López",
    "Silva",
    "Santos",
    "Søndergaard",
    "Çelik",
    "Yılmaz",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Carter",
    "Phillips",
    "Evans",
    "Turner",
    "Torres",
    "Parker",
    "Collins",
    "Edwards",
    "Stewart",
    "Morris",
    "Murphy",
    "Cook",
    "Rogers",
    "Morgan",
    "Peterson",
    "Cooper",
    "Reed",
    "Bailey",
    "Bell",
    "Gomez",
    "Kelly",
    "Howard",
    "Ward",
    "Cox",
    "Diaz",
    "Richardson",
    "Wood",
    "Watson",
    "Brooks",
    "Bennett",
    "Gray",
    "James",
    "Reyes",
    "Cruz",
    "Hughes",
    "Price",
    "Myers",
    "Long",
    "Foster",
    "Sanders",
    "Ross",
    "Morales",
    "Powell",
    "Sullivan",
    "Russell",
    "Ortiz",
    "Jenkins",
    "Gutierrez",
    "Perry",
    "Butler",
    "Barnes",
    "Fisher",
    "Henderson",
    "Coleman",
    "Simmons",
    "Patterson",
    "Jordan",
    "Reynolds",
    "Hamilton",
    "Graham",
    "Kimura",
    "Wallace",
    "Okafor",
    "Haddad",
    "Novak",
    "Horvat",
    "Lindqvist",
    "Virtanen",
    "Fernández",
    "Dvořák",
    "Kuznetsov",
    "Sokolov",
    "Popescu",
    "Nakamura",
    "Yamamoto",
    "Kaur",
    "Singh",
]
CYRILLIC = {
    "Dmitry": "Дмитрий",
    "Sergei": "Сергей",
    "Ivan": "Иван",
    "Olga": "Ольга",
    "Natalia": "Наталья",
    "Ivanov": "Иванов",
    "Petrov": "Петров",
    "Kuznetsov": "Кузнецов",
    "Sokolov": "Соколов",
}
NAMED_COMPANIES = [
    "Acme Inc.",
    "Globex Corporation",
    "Initech LLC",
    "Umbrella Corp",
    "Hooli",
    "Stark Industries",
    "Wayne Enterprises",
    "International Business Machines",
    "Northwind Traders",
    "Contoso Ltd",
    "Fabrikam",
    "Tailspin Toys",
    "Wide World Importers",
    "Blue Yonder Airlines",
    "Proseware",
    "Litware Inc",
    "Adventure Works",
    "Coho Winery",
    "Lucerne Publishing",
    "Trey Research",
    "Vandelay Industries",
    "Soylent",
    "Cyberdyne Systems",
    "Tyrell Corporation",
    "Wonka Industries",
    "Dunder Mifflin",
    "Pied Piper",
    "Aperture Science",
    "Massive Dynamic",
    "Oscorp",
    "Bluth Company",
    "Prestige Worldwide",
    "Sterling Cooper",
]
CO_A = [
    "Bright",
    "Nimbus",
    "Quantum",
    "Silver",
    "Red",
    "North",
    "Blue",
    "Iron",
    "Clear",
    "Swift",
    "Apex",
    "Orbit",
    "Lumen",
    "Vertex",
    "Cobalt",
    "Maple",
    "Atlas",
    "Nova",
    "Pixel",
    "Harbor",
    "Summit",
    "Zenith",
    "Echo",
    "Cedar",
    "Falcon",
    "Polar",
]
CO_B = [
    "path",
    "stack",
    "wave",
    "forge",
    "loop",
    "leaf",
    "grid",
    "point",
    "line",
    "works",
    "labs",
    "scale",
    "base",
    "flow",
    "mind",
    "ly",
]
CO_C = [
    "",
    " Analytics",
    " Software",
    " Systems",
    " Health",
    " Logistics",
    " Capital",
    " Robotics",
    " Media",
    " Cloud",
    " Security",
    " Foods",
    " Energy",
    " Networks",
]
LEGAL = ["", "", "", " Inc.", " LLC", " GmbH", " Ltd", " Corp.", " S.A.", " B.V."]
CITIES = [
    ("New York", "USA", ["NYC", "New York, NY", "Brooklyn, NY", "New York City"]),
    ("San Francisco", "USA", ["SF", "San Francisco Bay Area", "San Francisco, CA", "Bay Area"]),
    ("Los Angeles", "USA", ["LA", "Los Angeles, CA"]),
    ("Chicago", "USA", ["Chicago, IL"]),
    ("Boston", "USA", ["Boston, MA", "Greater Boston Area"]),
    ("Austin", "USA", ["Austin, TX", "ATX"]),
    ("Seattle", "USA", ["Seattle, WA"]),
    ("London", "United Kingdom", ["London, UK", "Greater London", "London, England"]),
    ("Manchester", "United Kingdom", ["Manchester, UK"]),
    ("Paris", "France", ["Paris, France", "Paris 🇫🇷"]),
    ("Berlin", "Germany", ["Berlin, Deutschland", "Berlin, Germany"]),
    ("Munich", "Germany", ["München", "Munich, Germany"]),
    ("Amsterdam", "Netherlands", ["Amsterdam, NL"]),
    ("Madrid", "Spain", ["Madrid, España"]),
    ("Lisbon", "Portugal", ["Lisboa"]),
    ("Toronto", "Canada", ["Toronto, ON"]),
    ("Sydney", "Australia", ["Sydney, NSW"]),
    ("Tokyo", "Japan", ["Tokyo, Japan"]),
    ("Singapore", "Singapore", ["Singapore"]),
    ("Bangalore", "India", ["Bengaluru", "Bangalore, India"]),
    ("Warsaw", "Poland", ["Warszawa"]),
    ("Stockholm", "Sweden", ["Stockholm, Sweden"]),
    ("Copenhagen", "Denmark", ["København"]),
    ("Dublin", "Ireland", ["Dublin, Ireland"]),
    ("Zurich", "Switzerland", ["Zürich"]),
]
TITLES = [
    "VP Engineering",
    "Head of Sales",
    "CTO",
    "CEO",
    "Founder",
    "Product Manager",
    "Director of Marketing",
    "Data Scientist",
    "Software Engineer",
    "RevOps Lead",
    "Account Executive",
    "CFO",
    "Head of Growth",
    "Solutions Architect",
]
SHORT_TITLES = {
    "VP Engineering": "VP Eng",
    "Director of Marketing": "Dir. Marketing",
    "Head of Sales": "Head of Sales",
}
BIOS = [
    "Coffee, code and cats.",
    "Opinions my own.",
    "Dad. Runner. Builder.",
    "Talking about B2B growth.",
    "Lifelong learner 📚",
    "Tech, travel, tacos.",
    "Building things people love.",
    "Mostly here for the memes.",
    "",
]
EMOJI = ["🚀", "✨", "🌍", "☕", "🇺🇸", "💡", "📈"]
DEGREES = ["PhD", "MBA", "Ph.D.", "CPA", "MSc"]


@dataclass
class Dataset:
    """People (the CRM), profiles and the true person id of each profile (None: not in CRM)."""

    people: list[Person]
    profiles: list[Profile]
    truth: dict[str, str | None]
    kind: dict[str, str]  # profile key -> how it was made (for per-case accuracy)
    # person id -> every record of that person, for people the CRM holds twice
    # (``matching_duplicates``): a link to any of them is a true link.
    same: dict[str, frozenset[str]] = field(default_factory=dict)
    # profile key -> the family of #23 it was put in (``matching_families``), if any.
    family: dict[str, str] = field(default_factory=dict)

    def records_of(self, person_id: str | None) -> frozenset[str]:
        if person_id is None:
            return frozenset()
        return self.same.get(person_id, frozenset({person_id}))


def _strip_accents(s: str) -> str:
    from unidecode import unidecode

    return unidecode(s)


def _slug(s: str) -> str:
    return "".join(c for c in _strip_accents(s).lower() if c.isalnum())


class _Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        r = self.r
        names = set(NAMED_COMPANIES)
        while len(names) < 1500:
            names.add(r.choice(CO_A) + r.choice(CO_B) + r.choice(CO_C))
        self.companies = sorted(names)
        self.legal = {
            c: (c if c in NAMED_COMPANIES else c + r.choice(LEGAL)) for c in self.companies
        }
        # Zipf-like popularity: a few big names and companies, a long tail.
        self.first_w = [1.0 / (i + 1) ** 0.3 for i in range(len(FIRST))]
        self.last_w = [1.0 / (i + 1) ** 0.5 for i in range(len(LAST))]
        self.co_w = [1.0 / (i + 1) ** 0.5 for i in range(len(self.companies))]
        # Handles are unique on a platform, and a CRM does not hold two people of the
        # same name at the same company (that would be one duplicated record).
        self.handles: set[str] = set()
        self.name_company: set[tuple[str, str, str]] = set()

    def company(self) -> str:
        return self.r.choices(self.companies, self.co_w)[0]

    def domain(self, company: str) -> str:
        tld = ".com" if self.r.random() < 0.8 else self.r.choice([".io", ".de", ".co.uk"])
        return _slug(company.split(" ")[0] if len(company.split()) > 2 else company) + tld

    def person(
        self,
        pid: str,
        first: str | None = None,
        last: str | None = None,
        company: str | None = None,
        city: tuple[str, str, list[str]] | None = None,
        record: bool = True,
    ) -> Person:
        r = self.r
        first = first or r.choices(FIRST, self.first_w)[0][0]
        last = last or r.choices(LAST, self.last_w)[0]
        fixed_company = company is not None
        company = company or self.company()
        for _ in range(50):
            if (first, last, company) not in self.name_company or fixed_company:
                break
            company = self.company()
        if record:
            self.name_company.add((first, last, company))
        city = city or r.choice(CITIES)
        dom = self.domain(company)
        f, lname = _slug(first), _slug(last)
        u = r.random()
        email = (
            f"{f}.{lname}@{dom}"
            if u < 0.4
            else f"{f[0]}{lname}@{dom}"
            if u < 0.6
            else f"{f}{lname}{r.randint(1, 99)}@gmail.com"
            if u < 0.7
            else ""
        )
        li = (
            f"https://www.linkedin.com/in/{f}-{lname}-{r.randint(100, 999)}"
            if r.random() < 0.3
            else ""
        )
        tw = "@" + self.handle(first, last, company) if r.random() < 0.12 else ""
        return Person(
            id=pid,
            first_name=first if r.random() > 0.03 else first.upper(),
            last_name=last,
            email=email,
            company=self.legal[company],
            title=r.choice(TITLES),
            city=city[0],
            country=city[1] if r.random() < 0.9 else "",
            linkedin_url=li,
            twitter_handle=tw,
            owner=f"rep{r.randint(1, 20)}",
        )

    def handle(self, first: str, last: str, company: str) -> str:
        r = self.r
        f, lname = _slug(first), _slug(last)
        nick = _slug(r.choice(dict(FIRST).get(first) or [first]))
        shapes = [
            f"{f[0]}{lname}",
            f"{f}.{lname}",
            f"{lname}{f[0]}",
            f"{f}{lname}{r.randint(1, 99)}",
            f"{nick}_{lname[0]}",
            f"{f[0]}{lname}_{_slug(company.split()[0])[:8]}",
            f"{f}_{lname}",
            f"{nick}{lname}",
            f"real{f}{lname}",
            r.choice(["coffeelover", "growthgeek", "datanerd", "saasqueen", "builder"])
            + str(r.randint(1, 999)),
        ]
        h = r.choices(shapes, [12, 12, 6, 10, 6, 5, 8, 6, 3, 14])[0]
        while h in self.handles:
            h += str(r.randint(0, 9))
        self.handles.add(h)
        return h

    def display_name(self, p: Person, company: str, title: str) -> tuple[str, str]:
        """A noisy display name and a label of the noise used."""
        r = self.r
        first = p.first_name.capitalize() if p.first_name.isupper() else p.first_name
        last = p.last_name
        u = r.random()
        nicks = dict(FIRST).get(first) or []
        if u < 0.30:
            return f"{first} {last}", "exact"
        if u < 0.42 and nicks:
            return f"{r.choice(nicks)} {last}", "nickname"
        if u < 0.48:
            return f"{first[0]}. {last}", "initial"
        if u < 0.53:
            return f"{first} {last}".upper(), "all_caps"
        if u < 0.63:
            sep = r.choice([" | ", " - ", " • "])
            short = SHORT_TITLES.get(title, title)
            return f"{first} {last}{sep}{short} at {company.split(' Inc')[0]}", "title_company"
        if u < 0.67:
            return f"{first} {last}, {r.choice(DEGREES)}", "degree"
        if u < 0.72:
            return f"{first} {last} {r.choice(EMOJI)}", "emoji"
        if u < 0.77:
            plain = f"{_strip_accents(first)} {_strip_accents(last)}"
            if plain != f"{first} {last}":
                return plain, "no_diacritics"
            return f"{first} {last}", "exact"
        if u < 0.80:
            return f"{last}, {first}", "swapped"
        if u < 0.83:
            if first in CYRILLIC or last in CYRILLIC:
                return f"{CYRILLIC.get(first, first)} {CYRILLIC.get(last, last)}", "cyrillic"
            return f"Dr. {first} {last}", "title"
        if u < 0.87:
            i = r.randrange(1, len(last)) if len(last) > 3 else 1
            typo = last[:i] + last[i + 1 :] if r.random() < 0.5 else last[:i] + last[i] + last[i:]
            return f"{first} {typo}", "typo"
        if u < 0.90:
            return f"{r.choice(nicks or [first])} {last[0]}.", "first_last_initial"
        if u < 0.93:
            return f"{first} {r.choice('ABCDEFGHJKLMNPRSTW')}. {last}", "middle_initial"
        return f"{first} {last}", "exact"

    def profile(self, key: str, p: Person, *, in_crm: bool) -> tuple[Profile, str]:
        r = self.r
        company = p.company
        title = p.title
        noise = ""
        if in_crm and r.random() < 0.06:  # changed jobs since the CRM was updated
            company, noise = self.legal[self.company()], "+job_change"
        city = next((c for c in CITIES if c[0] == p.city), CITIES[0])
        if in_crm and r.random() < 0.04:
            city, noise = r.choice(CITIES), noise + "+moved"
        name, kind = self.display_name(p, company, title)
        platform = r.choices(["x", "linkedin", "instagram"], [50, 35, 15])[0]
        handle = self.handle(p.first_name, p.last_name, company)
        if platform == "x" and p.twitter_handle and r.random() < 0.8:
            handle = p.twitter_handle.lstrip("@")
            kind += "+stored_handle"
        url = f"https://x.com/{handle}" if platform == "x" else ""
        if platform == "linkedin":
            url = (
                p.linkedin_url
                if p.linkedin_url and r.random() < 0.7
                else (f"https://www.linkedin.com/in/{handle.replace('.', '-').replace('_', '-')}")
            )
        if platform == "instagram":
            url = f"https://instagram.com/{handle}"
        bare = company
        for suf in (
            " Inc.",
            " LLC",
            " GmbH",
            " Ltd",
            " Corp.",
            " S.A.",
            " B.V.",
            " Corporation",
            " Inc",
            " Corp",
            " Ltd",
        ):
            bare = bare.removesuffix(suf)
        words = bare.split()
        acr = "".join(w[0] for w in words).upper() if len(words) >= 3 else ""
        # How much a profile says depends on the platform: a LinkedIn headline nearly
        # always names the employer and the location is a required field; X and
        # Instagram bios of B2B buyers often, not always, do.
        mention_p, loc_p = {"linkedin": (0.88, 0.95), "x": (0.7, 0.65), "instagram": (0.5, 0.5)}[
            platform
        ]
        short = SHORT_TITLES.get(title, title)
        past = r.random()
        past_note = (
            f" ex-{r.choice(self.companies).split()[0]}."
            if past < 0.08
            else f" Formerly at {r.choice(self.companies)}."
            if past < 0.14
            else ""
        )
        if r.random() < mention_p:
            u = r.random()
            if platform == "linkedin" or u < 0.3:
                bio = f"{title} at {acr or bare}"
            elif u < 0.65:
                bio = f"{short} @{_slug(bare) if r.random() < 0.5 else bare}. {r.choice(BIOS)}"
            else:
                bio = f"{r.choice(BIOS)} Working at {company}."
        else:
            bio = f"{short if r.random() < 0.5 else ''}. {r.choice(BIOS)}".strip(". ")
        bio = (bio.rstrip(". ") + "." + past_note).lstrip(". ") if past_note else bio
        u = r.random()
        if u < loc_p:
            v = r.random()
            loc = r.choice(city[2]) if v < 0.5 else city[0] if v < 0.85 else city[1]
        else:
            loc = r.choice(["Remote", "🌍", "Earth", "Worldwide", ""])
        website = f"https://{self.domain(company)}" if r.random() < 0.12 else ""
        mail = p.email if p.email and r.random() < 0.04 else ""
        return Profile(
            key=key,
            platform=platform,
            user_id=str(r.randint(10**6, 10**9)),
            handle=handle,
            display_name=name,
            bio=bio,
            location=loc,
            url=url,
            website=website,
            email=mail,
        ), kind + noise


def generate(seed: int, n_people: int = 20000, n_profiles: int = 3000) -> Dataset:
    """CRM people, profiles and ground truth, fully determined by ``seed``."""
    g = _Gen(seed)
    r = g.r
    people: list[Person] = []
    for i in range(n_people):
        pid = f"c{i}"
        if people and r.random() < 0.04:  # a namesake of an existing contact elsewhere
            other = r.choice(people)
            people.append(g.person(pid, first=other.first_name.capitalize(), last=other.last_name))
        elif people and r.random() < 0.03:  # a near-namesake at the same company
            other = r.choice(people)
            base = other.first_name.capitalize()
            co = next(k for k, v in g.legal.items() if v == other.company)
            # Another first name with the same initial that nobody there has with that family
            # name (a near-namesake of a near-namesake could otherwise be the first person again).
            first = next(
                (
                    f
                    for f, _ in FIRST
                    if f != base
                    and f[0] == base[0]
                    and (f, other.last_name, co) not in g.name_company
                ),
                None,
            )
            if first is None:
                people.append(g.person(pid))
                continue
            city = next(c for c in CITIES if c[0] == other.city)
            people.append(g.person(pid, first=first, last=other.last_name, company=co, city=city))
        else:
            people.append(g.person(pid))
    profiles: list[Profile] = []
    truth: dict[str, str | None] = {}
    kind: dict[str, str] = {}
    for j in range(n_profiles):
        key = f"p{j}"
        u = r.random()
        if u < 0.6:
            p = r.choice(people)
            prof, k = g.profile(key, p, in_crm=True)
            truth[key] = p.id
        else:
            other = r.choice(people)
            if u < 0.75:  # exact namesake of a CRM contact, at another company and city
                city = r.choice([c for c in CITIES if c[0] != other.city])
                p = g.person(
                    "x",
                    first=other.first_name.capitalize(),
                    last=other.last_name,
                    city=city,
                    record=False,
                )
                k0 = "outsider_namesake"
            elif u < 0.85:  # same company and family name, another first name
                base = other.first_name.capitalize()
                co = next(k for k, v in g.legal.items() if v == other.company)
                free = [
                    f
                    for f, _ in FIRST
                    if f != base and (f, other.last_name, co) not in g.name_company
                ]
                # In a mirror of a million, a big company may already hold every first
                # name with this family name: then this outsider is a plain stranger.
                if free:
                    p = g.person(
                        "x",
                        first=r.choice(free),
                        last=other.last_name,
                        company=co,
                        city=next(c for c in CITIES if c[0] == other.city),
                        record=False,
                    )
                    k0 = "outsider_colleague_namesake"
                else:
                    p = g.person("x", record=False)
                    k0 = "outsider"
            else:
                p = g.person("x", record=False)
                k0 = "outsider"
            p = Person(**{**asdict(p), "twitter_handle": "", "linkedin_url": ""})
            prof, k = g.profile(key, p, in_crm=False)
            truth[key] = None
            k = f"{k0}:{k}"
        profiles.append(prof)
        kind[key] = k
    return Dataset(people, profiles, truth, kind)


def write_csvs(ds: Dataset, out: Path) -> None:
    """profiles.csv / contacts.csv in the CLI's default columns, and truth.csv."""
    out.mkdir(parents=True, exist_ok=True)
    pcols = [
        "key",
        "platform",
        "user_id",
        "handle",
        "display_name",
        "bio",
        "location",
        "url",
        "email",
    ]
    ccols = [
        "id",
        "first_name",
        "last_name",
        "email",
        "company",
        "title",
        "city",
        "country",
        "linkedin_url",
        "twitter_handle",
    ]
    with (out / "profiles.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(pcols)
        for p in ds.profiles:
            w.writerow([getattr(p, c) for c in pcols])
    with (out / "contacts.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(ccols)
        for c in ds.people:
            w.writerow([getattr(c, f) for f in ccols])
    with (out / "truth.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["key", "person_id", "kind"])
        for k, v in ds.truth.items():
            w.writerow([k, v or "", ds.kind[k]])


assert {f.name for f in fields(Profile)} >= {"key", "display_name"}

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--people", type=int, default=20000)
    ap.add_argument("--profiles", type=int, default=3000)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    write_csvs(generate(a.seed, a.people, a.profiles), a.out)

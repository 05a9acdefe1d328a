"""A second, independent generator of CRM contacts and social profiles with ground truth.

``bench/matching_data.py`` draws from ~80 hand-picked first names and ~150 family names with
invented Zipf weights, invented one-word companies and a fixed noise menu. This one starts
from other assumptions, so that a weight fitted to one is caught out by the other:

* **Names with real frequencies**: the 1990 US census lists shipped by the ``names`` package
  (1,219 male and 4,275 female first names, 88,799 family names, each with its share of
  the population). "James Smith" is as common as it is in the US, and most family names
  are held by one record only. ~3 % of people are Russian: the CRM holds a Latin spelling,
  the profile shows the name in Cyrillic.
* **Companies named after people** ("Williams-Gomez", "Keller, Ward and Price", "Ortiz
  Group", "Hall PLC") beside product-like names; profiles call the multi-part ones by their
  initials ("@ WG", "Director at KWP"), the rest by name, website or handle.
* **Life events**: married-name changes (the profile shows the new family name, sometimes
  with the maiden one in parentheses, "Anna Keller (Schmidt)", or joined, "Anna
  Schmidt-Keller"), job changes ("Head of Sales at Newco, ex-Williams-Gomez", or the old
  employer not mentioned), moves, promotions (the title drifts).
* **Other noise**: pronouns "(she/her)", full middle names, lower-case names, "Greater
  Austin Area" and US state codes, personal websites, company websites.

Outsiders (people not in the CRM) are namesakes by the census frequencies alone, colleagues
of a CRM person at the same company, and strangers; none is made to collide on purpose.

    python bench/matching_data_census.py --seed 1 --people 20000 --profiles 3000 --out /tmp/m
writes profiles.csv, contacts.csv (the CLI's default columns) and truth.csv there.
"""

from __future__ import annotations

import argparse
import bisect
import random
import sys
from functools import cache
from importlib import resources
from itertools import accumulate
from pathlib import Path

from unidecode import unidecode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.matching_data import Dataset, write_csvs  # noqa: E402
from enrich.matching.profile import Person, Profile  # noqa: E402

# Russian given names (CRM spelling, Cyrillic, female?) and family names (male form, Cyrillic).
RU_FIRST = [
    ("Alexei", "Алексей", False),
    ("Dmitry", "Дмитрий", False),
    ("Sergey", "Сергей", False),
    ("Andrey", "Андрей", False),
    ("Ivan", "Иван", False),
    ("Mikhail", "Михаил", False),
    ("Nikolay", "Николай", False),
    ("Pavel", "Павел", False),
    ("Yuri", "Юрий", False),
    ("Oleg", "Олег", False),
    ("Anna", "Анна", True),
    ("Elena", "Елена", True),
    ("Olga", "Ольга", True),
    ("Tatiana", "Татьяна", True),
    ("Natalia", "Наталья", True),
    ("Irina", "Ирина", True),
    ("Svetlana", "Светлана", True),
    ("Maria", "Мария", True),
    ("Ekaterina", "Екатерина", True),
]
RU_LAST = [
    ("Ivanov", "Иванов"),
    ("Smirnov", "Смирнов"),
    ("Kuznetsov", "Кузнецов"),
    ("Popov", "Попов"),
    ("Vasiliev", "Васильев"),
    ("Petrov", "Петров"),
    ("Sokolov", "Соколов"),
    ("Mikhailov", "Михайлов"),
    ("Novikov", "Новиков"),
    ("Fedorov", "Федоров"),
    ("Morozov", "Морозов"),
    ("Volkov", "Волков"),
    ("Lebedev", "Лебедев"),
    ("Kozlov", "Козлов"),
    ("Orlov", "Орлов"),
]
# Short forms people use; written from common usage, not from the matcher's tables.
SHORT = {
    "James": ["Jim", "Jamie"],
    "Robert": ["Rob", "Bob", "Robbie"],
    "William": ["Will", "Bill", "Liam"],
    "Richard": ["Rich", "Rick"],
    "Michael": ["Mike", "Mick"],
    "Thomas": ["Tom"],
    "Christopher": ["Chris", "Topher"],
    "Daniel": ["Dan", "Danny"],
    "Joseph": ["Joe"],
    "Anthony": ["Tony", "Ant"],
    "Jennifer": ["Jen", "Jenn"],
    "Elizabeth": ["Liz", "Lizzie", "Eliza"],
    "Patricia": ["Trish", "Patty"],
    "Katherine": ["Kate", "Kat"],
    "Catherine": ["Cathy", "Cat"],
    "Margaret": ["Maggie", "Meg"],
    "Alexander": ["Alex", "Xander"],
    "Nicholas": ["Nick", "Nico"],
    "Benjamin": ["Ben", "Benji"],
    "Samantha": ["Sam"],
    "Jessica": ["Jess"],
    "Rebecca": ["Becca", "Becky"],
    "Timothy": ["Tim"],
    "Gregory": ["Greg"],
    "Jonathan": ["Jon", "Jonny"],
    "Matthew": ["Matt"],
    "Andrew": ["Andy", "Drew"],
    "Stephanie": ["Steph"],
    "Kimberly": ["Kim"],
    "Victoria": ["Tori", "Vic"],
    "Edward": ["Ed", "Eddie"],
    "Ronald": ["Ron"],
    "Donald": ["Don"],
    "Kenneth": ["Ken"],
    "Steven": ["Steve"],
    "Jeffrey": ["Jeff"],
    "Susan": ["Sue"],
    "Deborah": ["Deb", "Debbie"],
    "Pamela": ["Pam"],
    "Frederick": ["Fred"],
    "Alexei": ["Alex", "Lyosha"],
    "Ekaterina": ["Katya", "Kate"],
    "Dmitry": ["Dima"],
    "Mikhail": ["Misha"],
}
PRODUCT_A = [
    "Signal",
    "Harbor",
    "Copper",
    "Granite",
    "Meridian",
    "Juniper",
    "Tidal",
    "Kestrel",
    "Larch",
    "Basalt",
    "Ember",
    "Quill",
    "Fathom",
    "Beacon",
    "Sable",
    "Cinder",
]
PRODUCT_B = ["hq", "ware", "io", "ly", "base", "desk", "hub", "ops", "sight", "mark"]
LEGAL = ["", "", " Inc", " LLC", " PLC", " Ltd", " Group", " & Co", " Partners"]
# (CRM city, CRM country, what profiles write: state-coded, metro area, bare)
CITIES = [
    ("Austin", "United States", ["Austin, TX", "Greater Austin Area", "Austin, Texas"]),
    ("Chicago", "United States", ["Chicago, IL", "Chicagoland", "Chicago, Illinois"]),
    ("Denver", "United States", ["Denver, CO", "Denver Metropolitan Area"]),
    ("Seattle", "United States", ["Seattle, WA", "Greater Seattle Area"]),
    ("Atlanta", "United States", ["Atlanta, GA", "Atlanta Metropolitan Area"]),
    ("Boston", "United States", ["Boston, MA", "Greater Boston"]),
    ("Dallas", "United States", ["Dallas, TX", "Dallas-Fort Worth Metroplex"]),
    ("Phoenix", "United States", ["Phoenix, AZ"]),
    ("Miami", "United States", ["Miami, FL"]),
    ("Portland", "United States", ["Portland, OR", "Portland, Oregon"]),
    ("Minneapolis", "United States", ["Minneapolis, MN", "Twin Cities"]),
    ("Nashville", "United States", ["Nashville, TN"]),
    ("Raleigh", "United States", ["Raleigh, NC", "Raleigh-Durham"]),
    ("Columbus", "United States", ["Columbus, OH"]),
    ("San Diego", "United States", ["San Diego, CA", "San Diego County"]),
    ("Philadelphia", "United States", ["Philadelphia, PA", "Philly"]),
    ("Toronto", "Canada", ["Toronto, Ontario", "GTA"]),
    ("Vancouver", "Canada", ["Vancouver, BC"]),
    ("Manchester", "United Kingdom", ["Manchester, England"]),
    ("Moscow", "Russia", ["Москва", "Moscow, Russia"]),
    ("Saint Petersburg", "Russia", ["Санкт-Петербург", "St. Petersburg"]),
]
TITLES = [
    "Account Executive",
    "Senior Account Manager",
    "VP of Sales",
    "Chief Revenue Officer",
    "Marketing Manager",
    "Director of Product",
    "Engineering Manager",
    "Controller",
    "Operations Manager",
    "Customer Success Manager",
    "Procurement Lead",
    "IT Director",
    "Head of People",
    "General Counsel",
    "Business Development Rep",
]
PROMOTED = {
    "Account Executive": "Senior Account Executive",
    "Marketing Manager": "Senior Marketing Manager",
    "Engineering Manager": "Director of Engineering",
    "Senior Account Manager": "Account Director",
    "VP of Sales": "SVP Sales",
}
FILLER = [
    "Helping teams grow.",
    "Dog mom.",
    "Views are mine.",
    "Runner, reader.",
    "Always learning.",
    "Building the future of work.",
    "Husband, father, golfer.",
    "",
]
PRONOUNS = ["(she/her)", "(he/him)", "(they/them)"]


@cache
def _census(name: str, top: int) -> tuple[list[str], list[float]]:
    """(names, cumulative shares) of one census list, the ``top`` commonest."""
    text = resources.files("names").joinpath(name).read_text("ascii")
    rows = [line.split() for line in text.splitlines()[:top] if line.strip()]
    return [r[0].title() for r in rows], list(accumulate(float(r[1]) for r in rows))


def _slug(s: str) -> str:
    return "".join(c for c in unidecode(s).lower() if c.isalnum())


class _Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed * 7919 + 13)  # other streams than matching_data's
        self.handles: set[str] = set()
        self.companies = self._companies(2500)
        self.co_cum = list(accumulate(1.0 / (i + 1) ** 0.8 for i in range(len(self.companies))))

    def _pick(self, table: tuple[list[str], list[float]]) -> str:
        names, cum = table
        return names[bisect.bisect(cum, self.r.random() * cum[-1])]

    def last(self) -> str:
        name = self._pick(_census("dist.all.last", 60000))
        if name.startswith("Mc") and len(name) > 3:
            name = "Mc" + name[2:].title()
        return name

    def first(self, female: bool) -> str:
        return self._pick(_census("dist.female.first" if female else "dist.male.first", 2000))

    def _companies(self, n: int) -> list[str]:
        r, out = self.r, set()
        while len(out) < n:
            u = r.random()
            if u < 0.3:
                out.add(f"{self.last()}-{self.last()}")
            elif u < 0.45:
                out.add(f"{self.last()}, {self.last()} and {self.last()}")
            elif u < 0.75:
                out.add(self.last() + r.choice(LEGAL[2:]))
            else:
                out.add(r.choice(PRODUCT_A) + r.choice(PRODUCT_B) + r.choice(LEGAL))
        ranked = sorted(out)
        r.shuffle(ranked)  # popularity must not follow the alphabet
        return ranked

    def company(self) -> str:
        return self.companies[bisect.bisect(self.co_cum, self.r.random() * self.co_cum[-1])]

    @staticmethod
    def bare(company: str) -> str:
        for suf in (" Inc", " LLC", " PLC", " Ltd", " Group", " & Co", " Partners"):
            company = company.removesuffix(suf)
        return company

    @staticmethod
    def initials(company: str) -> str:
        """ "Williams-Gomez" -> "WG", "Keller, Ward and Price" -> "KWP"; "" for one word."""
        words = [
            w for w in _Gen.bare(company).replace("-", " ").replace(",", " ").split() if w != "and"
        ]
        return "".join(w[0] for w in words).upper() if len(words) >= 2 else ""

    def domain(self, company: str) -> str:
        return _slug(self.bare(company)) + self.r.choice([".com", ".com", ".com", ".net", ".co"])

    def person(
        self,
        pid: str,
        *,
        company: str | None = None,
        city: tuple[str, str, list[str]] | None = None,
        first: str | None = None,
        last: str | None = None,
        female: bool | None = None,
        russian: bool | None = None,
    ) -> Person:
        r = self.r
        female = r.random() < 0.5 if female is None else female
        russian = r.random() < 0.03 if russian is None else russian
        if russian:
            first = first or r.choice([f for f, _, fem in RU_FIRST if fem == female])
            last = last or r.choice(RU_LAST)[0] + ("a" if female else "")
        first = first or self.first(female)
        last = last or self.last()
        company = company or self.company()
        city = city or (
            r.choice(CITIES[-2:]) if russian and r.random() < 0.5 else r.choice(CITIES[:-2])
        )
        f, lname = _slug(first), _slug(last)
        dom = self.domain(company)
        u = r.random()
        email = (
            f"{f}.{lname}@{dom}"
            if u < 0.35
            else f"{f[0]}{lname}@{dom}"
            if u < 0.5
            else f"{f}@{dom}"
            if u < 0.55
            else f"{f}.{lname}@yahoo.com"
            if u < 0.62
            else ""
        )
        li = f"https://linkedin.com/in/{f}{lname}" if r.random() < 0.2 else ""
        return Person(
            id=pid,
            first_name=first,
            last_name=last,
            email=email,
            company=company,
            title=r.choice(TITLES),
            city=city[0],
            country=city[1] if r.random() < 0.7 else "",
            linkedin_url=li,
            twitter_handle="",
            owner=f"owner{r.randint(1, 9)}",
        )

    def handle(self, first: str, last: str) -> str:
        r = self.r
        f, lname = _slug(first), _slug(last)
        shapes = [
            f"{f}{lname}",
            f"{f}_{lname}",
            f"{f[0]}{lname}",
            f"{lname}{f}",
            f"the{f}{lname}",
            f"{f}{lname}{r.randint(70, 99)}",
            f"{f}.{lname[:3]}",
            f"{r.choice(['sales', 'mktg', 'ops', 'b2b'])}{f}",
            f"{f}{r.randint(1, 9999)}",
        ]
        h = r.choices(shapes, [14, 10, 12, 4, 3, 10, 4, 4, 8])[0]
        while h in self.handles:
            h += r.choice("0123456789")
        self.handles.add(h)
        return h

    def display_name(
        self, first: str, last: str, shown_last: str, maiden: str, cyrillic: str
    ) -> tuple[str, str]:
        r = self.r
        u = r.random()
        if cyrillic:
            return cyrillic, "cyrillic"
        if maiden:
            v = r.random()
            if v < 0.4:
                return f"{first} {shown_last} ({maiden})", "married_paren"
            if v < 0.55:
                return f"{first} {maiden}-{shown_last}", "married_joined"
            return f"{first} {shown_last}", "married"
        if u < 0.40:
            return f"{first} {last}", "plain"
        if u < 0.52:
            if first in SHORT:
                return f"{r.choice(SHORT[first])} {last}", "short_form"
            return f"{first} {last}", "plain"
        if u < 0.60:
            return f"{first} {last} {r.choice(PRONOUNS)}", "pronouns"
        if u < 0.66:
            return f"{first} {self.first(r.random() < 0.5)} {last}", "middle_name"
        if u < 0.72:
            return f"{first} {last}".lower(), "lower"
        if u < 0.77:
            return f"{first} {last}, {r.choice(['CPA', 'PMP', 'MBA', 'CFA'])}", "credential"
        if u < 0.80:
            return f"{first} {last[0]}.", "last_initial"
        if u < 0.83 and first in SHORT:
            return f'{first} "{r.choice(SHORT[first])}" {last}', "quoted_short"
        if u < 0.86:
            i = r.randrange(1, len(last)) if len(last) > 2 else 1
            return f"{first} {last[:i]}{last[i + 1 :]}", "typo"
        return f"{first} {last}", "plain"

    def profile(self, key: str, p: Person, *, in_crm: bool) -> tuple[Profile, str]:
        r = self.r
        noise: list[str] = []
        company, old_company, title = p.company, "", p.title
        if in_crm and r.random() < 0.07:
            company, old_company = self.company(), p.company
            noise.append("job_change")
            if r.random() < 0.3:
                title = r.choice(TITLES)
        elif in_crm and r.random() < 0.08 and title in PROMOTED:
            title = PROMOTED[title]
            noise.append("promoted")
        city = next(c for c in CITIES if c[0] == p.city)
        if in_crm and r.random() < 0.03:
            city = r.choice(CITIES)
            noise.append("moved")
        female_ru = p.last_name.endswith("a") and p.last_name[:-1] in dict(RU_LAST)
        ru_first = {f: c for f, c, _ in RU_FIRST}
        cyrillic = ""
        if (
            p.first_name in ru_first
            and (p.last_name in dict(RU_LAST) or female_ru)
            and r.random() < 0.7
        ):
            base = dict(RU_LAST)[p.last_name[:-1] if female_ru else p.last_name]
            cyrillic = f"{ru_first[p.first_name]} {base + ('а' if female_ru else '')}"
        maiden, shown_last = "", p.last_name
        if in_crm and not cyrillic and r.random() < 0.025:
            maiden, shown_last = p.last_name, self.last()
        name, kind = self.display_name(p.first_name, p.last_name, shown_last, maiden, cyrillic)
        platform = r.choices(["linkedin", "x", "instagram"], [50, 40, 10])[0]
        handle = self.handle(p.first_name, shown_last)
        url = {
            "linkedin": f"https://www.linkedin.com/in/{handle.replace('_', '-')}",
            "x": f"https://twitter.com/{handle}",
            "instagram": f"https://www.instagram.com/{handle}/",
        }[platform]
        if platform == "linkedin" and p.linkedin_url and r.random() < 0.5:
            url = p.linkedin_url
        acr, bare = self.initials(company), self.bare(company)
        said = acr if acr and r.random() < 0.35 else bare
        mention_p = {"linkedin": 0.85, "x": 0.6, "instagram": 0.4}[platform]
        u = r.random()
        if u < mention_p:
            v = r.random()
            bio = (
                f"{title} at {said}"
                if v < 0.4
                else f"{title} | {said}"
                if v < 0.6
                else f"{title} @ {said}. {r.choice(FILLER)}"
                if v < 0.8
                else f"{r.choice(FILLER)} {title}, {said}."
            )
        elif u < mention_p + 0.15:
            bio = f"{title}. {r.choice(FILLER)}"
        else:
            bio = r.choice(FILLER)
        if old_company and r.random() < 0.5:
            old = self.initials(old_company) if r.random() < 0.3 else self.bare(old_company)
            bio = f"{bio.rstrip('. ')}. " + r.choice(
                [f"ex-{old}", f"Ex-{old}.", f"Previously {old}."]
            )
            noise.append("ex_mention")
        v = r.random()
        loc = (
            r.choice(city[2])
            if v < 0.55
            else city[0]
            if v < 0.7
            else f"{city[0]}, {city[1]}"
            if v < 0.8
            else ""
        )
        w = r.random()
        website = (
            f"https://www.{self.domain(company)}"
            if w < 0.1
            else f"https://{_slug(p.first_name + shown_last)}.com"
            if w < 0.15
            else ""
        )
        mail = p.email if p.email and r.random() < 0.03 else ""
        return Profile(
            key=key,
            platform=platform,
            user_id=str(r.randint(10**7, 10**10)),
            handle=handle,
            display_name=name,
            bio=bio,
            location=loc,
            url=url,
            website=website,
            email=mail,
        ), "+".join([kind, *noise])


def generate(seed: int, n_people: int = 20000, n_profiles: int = 3000) -> Dataset:
    """CRM people, profiles and ground truth, fully determined by ``seed``."""
    g = _Gen(seed)
    r = g.r
    people = [g.person(f"k{i}") for i in range(n_people)]
    profiles: list[Profile] = []
    truth: dict[str, str | None] = {}
    kind: dict[str, str] = {}
    for j in range(n_profiles):
        key = f"q{j}"
        u = r.random()
        if u < 0.55:
            p = r.choice(people)
            prof, k = g.profile(key, p, in_crm=True)
            truth[key] = p.id
        else:
            if u < 0.7:  # a colleague of a CRM person: same company and city
                other = r.choice(people)
                p = g.person(
                    "x", company=other.company, city=next(c for c in CITIES if c[0] == other.city)
                )
                k0 = "outsider_colleague"
            else:
                p, k0 = g.person("x"), "outsider"
            prof, k = g.profile(key, p, in_crm=False)
            truth[key] = None
            k = f"{k0}:{k}"
        profiles.append(prof)
        kind[key] = k
    return Dataset(people, profiles, truth, kind)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--people", type=int, default=20000)
    ap.add_argument("--profiles", type=int, default=3000)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    write_csvs(generate(a.seed, a.people, a.profiles), a.out)

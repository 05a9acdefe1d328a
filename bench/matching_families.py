"""The families of #23, added to a generated dataset of either generator: names in other
scripts and the CRM's own mess.

An international B2B CRM holds people whose profiles show their name in their own script
while the CRM holds a Latin spelling that somebody typed, records whose fields were filled
in by hand, and companies that renamed themselves since the record was made.
``with_families`` turns a share of the profiles of CRM people (and some outsiders, and some
CRM records nobody's profile points at) into these families:

* **Arabic, Greek, Cyrillic, Chinese, Japanese, Korean display names**: the person's name is
  replaced by one drawn from the tables below (written from real usage: passports, company
  pages, how people spell themselves, not from the matcher's code). The CRM holds one of
  the Latin spellings people really use (Mohammed / Muhammad / Mohamed; Angeliki /
  Aggeliki; Cheung / Chang / Zhang; Satoh / Sato; Lee / Yi / Rhee; Seo-yeon / Suh-yeon);
  the profile shows the native script, Chinese, Japanese and Korean with the family name
  first, Japanese in kanji or kana. The handle, when it is a name, is the person's own
  Latin spelling, which need not be the CRM's.
* **dual name**: "Wei Zhang (张伟)", "张伟 Wei Zhang", "Αγγελική Κωνσταντίνου (Angeliki)".
* **emoji-only display name**: "🚀✨", the name only in the handle.
* **renamed company**: the CRM holds the old name, the profile the new brand, sometimes
  with "(formerly Old)" or "ex-Old" in the bio, sometimes the old website.
* **CRM record missing the first name**, **CRM first/last swapped**, **titles in CRM
  name fields** ("Dr. Jane", "Smith PhD", "Prof."), **all-caps CRM name**.

Outsiders: a share of the profiles of people not in the CRM get names from the same tables
(common names such as 张伟 or محمد حسن then have namesakes in the CRM), and a share of CRM
records no profile points at are renamed from the tables too.

The profile's person is unchanged (a link to its records is true); ``Dataset.family``
says which family a profile is in (``family`` below), for the per-family report.
"""

from __future__ import annotations

import random
from dataclasses import replace

from unidecode import unidecode

from bench.matching_data import Dataset
from enrich.matching.profile import Person, Profile

# (native, [Latin spellings people use, commonest first], female)
ARABIC_FIRST = [
    ("محمد", ["Mohammed", "Muhammad", "Mohamed", "Mohammad", "Mohamad"], False),
    ("أحمد", ["Ahmed", "Ahmad"], False),
    ("حسن", ["Hassan", "Hasan"], False),
    ("علي", ["Ali"], False),
    ("عمر", ["Omar", "Umar"], False),
    ("خالد", ["Khaled", "Khalid"], False),
    ("يوسف", ["Youssef", "Yousef", "Yusuf"], False),
    ("مصطفى", ["Mustafa", "Moustafa", "Mostafa"], False),
    ("إبراهيم", ["Ibrahim", "Ebrahim"], False),
    ("طارق", ["Tariq", "Tarek", "Tareq"], False),
    ("سعيد", ["Saeed", "Said"], False),
    ("كريم", ["Karim", "Kareem"], False),
    ("فاطمة", ["Fatima", "Fatma", "Fatimah"], True),
    ("عائشة", ["Aisha", "Aysha", "Aicha"], True),
    ("مريم", ["Maryam", "Mariam"], True),
    ("نور", ["Nour", "Noor", "Nur"], True),
    ("ليلى", ["Layla", "Leila", "Laila"], True),
    ("سارة", ["Sara", "Sarah"], True),
    ("هدى", ["Huda", "Hoda"], True),
    ("رانيا", ["Rania", "Ranya"], True),
    ("ياسمين", ["Yasmin", "Yasmine"], True),
]
ARABIC_LAST = [
    ("المصري", ["Al-Masri", "El-Masry", "Almasri", "Masri"]),
    ("حداد", ["Haddad"]),
    ("خوري", ["Khoury", "Khouri"]),
    ("منصور", ["Mansour", "Mansur"]),
    ("ناصر", ["Nasser", "Naser"]),
    ("سليمان", ["Suleiman", "Sulaiman", "Soliman"]),
    ("الشامي", ["Al-Shami", "Elshamy", "Alshami"]),
    ("عثمان", ["Othman", "Osman", "Uthman"]),
    ("الزهراني", ["Al-Zahrani", "Alzahrani"]),
    ("الحربي", ["Al-Harbi", "Alharbi"]),
    ("صالح", ["Saleh", "Salih"]),
    ("الخطيب", ["Al-Khatib", "El-Khatib", "Alkhatib"]),
    ("العمري", ["Al-Omari", "Alomari", "El-Omari"]),
    ("حمدان", ["Hamdan"]),
    ("يوسف", ["Youssef", "Yousef"]),
    ("قاسم", ["Kassem", "Qasim", "Qassem"]),
]
GREEK_FIRST = [
    ("Αγγελική", ["Angeliki", "Aggeliki"], True),
    ("Γιώργος", ["Giorgos", "Yiorgos", "Yorgos"], False),
    ("Δημήτρης", ["Dimitris", "Demetris"], False),
    ("Κωνσταντίνος", ["Konstantinos", "Constantinos"], False),
    ("Νικόλαος", ["Nikolaos", "Nicolaos"], False),
    ("Γιάννης", ["Giannis", "Yannis"], False),
    ("Ευάγγελος", ["Evangelos", "Evaggelos"], False),
    ("Παναγιώτης", ["Panagiotis", "Panayiotis", "Panayotis"], False),
    ("Χρήστος", ["Christos", "Hristos"], False),
    ("Θεόδωρος", ["Theodoros", "Thodoros"], False),
    ("Ελένη", ["Eleni"], True),
    ("Σοφία", ["Sofia", "Sophia"], True),
    ("Αικατερίνη", ["Aikaterini", "Ekaterini"], True),
    ("Βασιλική", ["Vasiliki", "Vassiliki"], True),
    ("Ευτυχία", ["Eftychia", "Eftihia"], True),
    ("Δέσποινα", ["Despoina", "Despina"], True),
]
GREEK_LAST = [
    ("Κωνσταντίνου", ["Konstantinou", "Constantinou"]),
    ("Γεωργίου", ["Georgiou", "Yeorgiou"]),
    ("Νικολάου", ["Nikolaou", "Nicolaou"]),
    ("Παπαδημητρίου", ["Papadimitriou", "Papademetriou"]),
    ("Οικονόμου", ["Oikonomou", "Economou", "Ikonomou"]),
    ("Ιωάννου", ["Ioannou"]),
    ("Δημητρίου", ["Dimitriou", "Demetriou"]),
    ("Αντωνίου", ["Antoniou"]),
    ("Παπαδόπουλος", ["Papadopoulos"]),
    ("Αγγελόπουλος", ["Angelopoulos", "Aggelopoulos"]),
    ("Βλάχος", ["Vlachos", "Vlahos"]),
    ("Χατζηδάκης", ["Chatzidakis", "Hatzidakis", "Hadjidakis"]),
    ("Μακρής", ["Makris", "Macris"]),
    ("Ευαγγέλου", ["Evangelou", "Evaggelou"]),
]
CYRILLIC_FIRST = [
    ("Дмитрий", ["Dmitry", "Dmitriy", "Dmitri"], False),
    ("Алексей", ["Alexey", "Aleksei", "Alexei"], False),
    ("Сергей", ["Sergey", "Sergei"], False),
    ("Евгений", ["Evgeny", "Yevgeny", "Evgenii"], False),
    ("Юрий", ["Yuri", "Yury", "Iurii"], False),
    ("Андрей", ["Andrey", "Andrei"], False),
    ("Юлия", ["Yulia", "Julia", "Iuliia"], True),
    ("Наталья", ["Natalya", "Natalia"], True),
    ("Ксения", ["Ksenia", "Kseniya"], True),
    ("Татьяна", ["Tatiana", "Tatyana"], True),
    ("Екатерина", ["Ekaterina", "Yekaterina"], True),
]
# (male, female, Latin spellings of the male form)
CYRILLIC_LAST = [
    ("Иванов", "Иванова", ["Ivanov"]),
    ("Кузнецов", "Кузнецова", ["Kuznetsov"]),
    ("Соловьёв", "Соловьёва", ["Solovyov", "Soloviev"]),
    ("Воробьёв", "Воробьёва", ["Vorobyov", "Vorobiev"]),
    ("Жуков", "Жукова", ["Zhukov"]),
    ("Щербаков", "Щербакова", ["Shcherbakov", "Scherbakov"]),
    ("Григорьев", "Григорьева", ["Grigoriev", "Grigoryev"]),
    ("Хохлов", "Хохлова", ["Khokhlov", "Hohlov"]),
    ("Белов", "Белова", ["Belov"]),
    ("Зайцев", "Зайцева", ["Zaitsev", "Zaytsev"]),
]
# Chinese: family names with the spellings of the mainland (pinyin), Hong Kong and Taiwan.
CHINESE_LAST = [
    ("张", ["Zhang", "Zhang", "Cheung", "Chang"]),
    ("王", ["Wang", "Wang", "Wong"]),
    ("李", ["Li", "Li", "Lee"]),
    ("刘", ["Liu", "Liu", "Lau"]),
    ("陈", ["Chen", "Chen", "Chan"]),
    ("杨", ["Yang", "Yang", "Yeung"]),
    ("黄", ["Huang", "Huang", "Wong"]),
    ("赵", ["Zhao", "Chiu"]),
    ("吴", ["Wu", "Wu", "Ng"]),
    ("周", ["Zhou", "Chow", "Chou"]),
    ("徐", ["Xu", "Hsu"]),
    ("孙", ["Sun"]),
    ("林", ["Lin", "Lam"]),
    ("郭", ["Guo", "Kwok"]),
    ("何", ["He", "Ho"]),
    ("欧阳", ["Ouyang"]),
]
CHINESE_GIVEN = [
    ("伟", ["Wei"]),
    ("芳", ["Fang"]),
    ("敏", ["Min"]),
    ("静", ["Jing"]),
    ("强", ["Qiang"]),
    ("磊", ["Lei"]),
    ("军", ["Jun"]),
    ("杰", ["Jie"]),
    ("涛", ["Tao"]),
    ("明", ["Ming"]),
    ("秀英", ["Xiuying", "Xiu-Ying", "Xiu Ying"]),
    ("小明", ["Xiaoming", "Xiao-Ming"]),
    ("建华", ["Jianhua", "Jian-Hua"]),
    ("志强", ["Zhiqiang"]),
    ("晓东", ["Xiaodong"]),
    ("海燕", ["Haiyan"]),
    ("文博", ["Wenbo"]),
    ("子涵", ["Zihan"]),
    ("雨桐", ["Yutong"]),
    ("俊杰", ["Junjie", "Jun-Jie"]),
]
# Japanese: (kanji, kana, Latin spellings: Hepburn without and with long vowels)
JAPANESE_LAST = [
    ("佐藤", "さとう", ["Sato", "Satoh", "Satou"]),
    ("鈴木", "すずき", ["Suzuki"]),
    ("高橋", "たかはし", ["Takahashi"]),
    ("田中", "たなか", ["Tanaka"]),
    ("伊藤", "いとう", ["Ito", "Itoh"]),
    ("渡辺", "わたなべ", ["Watanabe"]),
    ("山本", "やまもと", ["Yamamoto"]),
    ("中村", "なかむら", ["Nakamura"]),
    ("小林", "こばやし", ["Kobayashi"]),
    ("加藤", "かとう", ["Kato", "Katoh"]),
    ("吉田", "よしだ", ["Yoshida"]),
    ("山田", "やまだ", ["Yamada"]),
    ("斎藤", "さいとう", ["Saito", "Saitoh"]),
    ("松本", "まつもと", ["Matsumoto"]),
    ("井上", "いのうえ", ["Inoue"]),
    ("木村", "きむら", ["Kimura"]),
]
JAPANESE_GIVEN = [
    ("太郎", "たろう", ["Taro", "Tarou"], False),
    ("一郎", "いちろう", ["Ichiro"], False),
    ("翔太", "しょうた", ["Shota", "Shouta"], False),
    ("大輔", "だいすけ", ["Daisuke"], False),
    ("拓也", "たくや", ["Takuya"], False),
    ("直樹", "なおき", ["Naoki"], False),
    ("健太", "けんた", ["Kenta"], False),
    ("誠", "まこと", ["Makoto"], False),
    ("花子", "はなこ", ["Hanako"], True),
    ("陽子", "ようこ", ["Yoko", "Yohko"], True),
    ("美咲", "みさき", ["Misaki"], True),
    ("由美", "ゆみ", ["Yumi"], True),
    ("真由美", "まゆみ", ["Mayumi"], True),
    ("優子", "ゆうこ", ["Yuko", "Yuuko"], True),
    ("恵子", "けいこ", ["Keiko"], True),
]
KOREAN_LAST = [
    ("김", ["Kim"]),
    ("이", ["Lee", "Lee", "Yi", "Rhee"]),
    ("박", ["Park", "Park", "Pak"]),
    ("최", ["Choi", "Choe"]),
    ("정", ["Jung", "Jeong", "Chung"]),
    ("강", ["Kang"]),
    ("조", ["Cho", "Jo"]),
    ("윤", ["Yoon", "Yun"]),
    ("장", ["Jang", "Chang"]),
    ("임", ["Lim", "Im"]),
    ("한", ["Han"]),
    ("오", ["Oh"]),
    ("서", ["Seo", "Suh"]),
    ("신", ["Shin", "Sin"]),
]
KOREAN_GIVEN = [
    ("민준", ["Min-jun", "Minjun", "Min-joon"]),
    ("서연", ["Seo-yeon", "Seoyeon", "Suh-yeon"]),
    ("지훈", ["Ji-hoon", "Jihun", "Ji-hun"]),
    ("지민", ["Ji-min", "Jimin"]),
    ("현우", ["Hyun-woo", "Hyeon-u", "Hyunwoo"]),
    ("수빈", ["Su-bin", "Soo-bin", "Subin"]),
    ("영희", ["Young-hee", "Yeong-hui", "Younghee"]),
    ("성민", ["Sung-min", "Seong-min"]),
    ("동현", ["Dong-hyun", "Dong-hyeon"]),
    ("은지", ["Eun-ji", "Eunji"]),
    ("하은", ["Ha-eun", "Haeun"]),
    ("준호", ["Jun-ho", "Joon-ho"]),
    ("혜진", ["Hye-jin", "Hyejin"]),
    ("상우", ["Sang-woo", "Sang-u"]),
]
SCRIPTS = ("arabic", "greek", "cyrillic", "chinese", "japanese", "korean")
# Share of the profiles of CRM people put in each family (the rest stay as generated).
SHARES = {
    **{f"script:{s}": 0.025 for s in SCRIPTS},
    "dual name": 0.03,
    "emoji-only name": 0.04,
    "renamed company": 0.05,
    "CRM missing first name": 0.04,
    "CRM first/last swapped": 0.05,
    "CRM title in name": 0.04,
    "CRM all-caps": 0.04,
}
NEW_BRAND_A = ["Nuv", "Alt", "Zen", "Ori", "Vel", "Kai", "Lum", "Tey", "Qua", "Rho", "Sol", "Ivy"]
NEW_BRAND_B = ["ora", "iq", "ex", "ova", "ity", "ara", "eon", "ix", "ium", "ent"]
EMOJI = ["🚀", "✨", "🌍", "☕", "💡", "📈", "🌊", "🔥", "🎯", "🌱"]
CRM_TITLES = ["Dr.", "Dr", "Prof.", "Mr.", "Ms.", "Mrs."]
CRM_SUFFIXES = ["PhD", "Ph.D.", "MD", "Jr.", "Sr.", "MBA", "III"]


def _slug(s: str) -> str:
    return "".join(c for c in unidecode(s).lower() if c.isalnum())


def _latin(r: random.Random, spellings: list[str]) -> str:
    """One spelling: the first is the commonest, the others split the rest."""
    return spellings[0] if r.random() < 0.55 or len(spellings) == 1 else r.choice(spellings[1:])


def script_name(r: random.Random, script: str) -> tuple[str, str, str, str]:
    """(native display name, CRM first name, CRM last name, the person's own Latin name
    for a handle) of one person of ``script``."""
    if script == "arabic":
        nat, fs, _ = r.choice(ARABIC_FIRST)
        lnat, ls = r.choice(ARABIC_LAST)
        return f"{nat} {lnat}", _latin(r, fs), _latin(r, ls), f"{r.choice(fs)} {r.choice(ls)}"
    if script == "greek":
        nat, fs, _ = r.choice(GREEK_FIRST)
        lnat, ls = r.choice(GREEK_LAST)
        return f"{nat} {lnat}", _latin(r, fs), _latin(r, ls), f"{r.choice(fs)} {r.choice(ls)}"
    if script == "cyrillic":
        nat, fs, female = r.choice(CYRILLIC_FIRST)
        male, fem, ls = r.choice(CYRILLIC_LAST)
        last = _latin(r, ls) + ("a" if female else "")
        shown = f"{nat} {fem if female else male}"
        return shown, _latin(r, fs), last, f"{r.choice(fs)} {last}"
    if script == "chinese":
        lnat, ls = r.choice(CHINESE_LAST)
        gnat, gs = r.choice(CHINESE_GIVEN)
        first, last = _latin(r, gs), r.choice(ls)
        return f"{lnat}{gnat}", first, last, f"{first} {last}"
    if script == "japanese":
        lk, lkana, ls = r.choice(JAPANESE_LAST)
        gk, gkana, gs, _ = r.choice(JAPANESE_GIVEN)
        u = r.random()
        shown = (
            f"{lk} {gk}" if u < 0.45 else f"{lk}{gk}" if u < 0.75 else f"{lkana} {gkana}"
        )  # kanji with or without the space, or kana
        first, last = _latin(r, gs), _latin(r, ls)
        return shown, first, last, f"{first} {last}"
    lnat, ls = r.choice(KOREAN_LAST)
    gnat, gs = r.choice(KOREAN_GIVEN)
    first, last = _latin(r, gs), _latin(r, ls)
    return f"{lnat}{gnat}", first, last, f"{first} {last}"


def _handle(r: random.Random, latin: str, taken: set[str]) -> str:
    """A handle built from the person's own Latin spelling, or not from the name."""
    parts = [_slug(p) for p in latin.split()]
    f, last = parts[0], "".join(parts[1:]) or "x"
    shapes = [
        f"{f}{last}",
        f"{f}.{last}",
        f"{f}_{last}",
        f"{f[0]}{last}",
        f"{last}{f}",
        f"{f}{r.randint(1, 99)}",
        r.choice(["globaltrader", "bizdev", "techlead", "cloudops"]) + str(r.randint(1, 999)),
    ]
    h = r.choices(shapes, [12, 8, 8, 8, 5, 5, 10])[0]
    while h in taken:
        h += str(r.randint(0, 9))
    taken.add(h)
    return h


def _with_handle(prof: Profile, handle: str) -> Profile:
    url = prof.url
    if prof.handle and prof.handle in url:
        url = url.replace(prof.handle, handle)
    elif prof.handle and prof.handle.replace(".", "-").replace("_", "-") in url:
        url = url.replace(prof.handle.replace(".", "-").replace("_", "-"), handle)
    return replace(prof, handle=handle, url=url)


def _email(r: random.Random, p: Person, first: str, last: str) -> str:
    if "@" not in p.email:
        return p.email
    domain = p.email.rpartition("@")[2]
    f, lname = _slug(first) or "x", _slug(last) or "y"
    return f"{r.choice([f'{f}.{lname}', f'{f[0]}{lname}', f])}@{domain}"


def _bare(company: str) -> str:
    for suf in (" Inc.", " Inc", " LLC", " GmbH", " Ltd", " Corp.", " Corp", " PLC", " S.A."):
        company = company.removesuffix(suf)
    for suf in (" B.V.", " Corporation", " Group", " & Co", " Partners"):
        company = company.removesuffix(suf)
    return company


class _Families:
    def __init__(self, ds: Dataset, seed: int) -> None:
        self.ds = ds
        self.r = random.Random(seed * 15485863 + 29)  # its own stream
        self.people = {p.id: p for p in ds.people}
        self.handles = {pr.handle for pr in ds.profiles}
        self.renamed: dict[str, str] = {}  # old company -> new brand

    def rename(self, old: str) -> str:
        if old not in self.renamed:
            r = self.r
            new = r.choice(NEW_BRAND_A) + r.choice(NEW_BRAND_B)
            while new in self.renamed.values():
                new += r.choice("aeiou")
            self.renamed[old] = new + r.choice(["", "", " Inc", " Labs", " Group"])
        return self.renamed[old]

    def scripted(self, prof: Profile, p: Person, script: str, dual: bool) -> tuple[Profile, Person]:
        r = self.r
        shown, first, last, own = script_name(r, script)
        if dual:
            latin = f"{own.split()[0]} {own.split()[-1]}"
            u = r.random()
            shown = (
                f"{latin} ({shown})"
                if u < 0.5
                else f"{shown} {latin}"
                if u < 0.75
                else f"{shown} ({own.split()[0]})"
            )
        person = replace(p, first_name=first, last_name=last, email=_email(r, p, first, last))
        if prof.email and prof.email == p.email:
            prof = replace(prof, email=person.email)
        prof = replace(prof, display_name=shown)
        return _with_handle(prof, _handle(r, own, self.handles)), person

    def crm_noise(self, prof: Profile, p: Person, fam: str) -> tuple[Profile, Person]:
        r = self.r
        if fam == "CRM missing first name":
            return prof, replace(p, first_name="")
        if fam == "CRM first/last swapped":
            return prof, replace(p, first_name=p.last_name, last_name=p.first_name)
        if fam == "CRM all-caps":
            return prof, replace(p, first_name=p.first_name.upper(), last_name=p.last_name.upper())
        u = r.random()
        if u < 0.5:
            return prof, replace(p, first_name=f"{r.choice(CRM_TITLES)} {p.first_name}")
        if u < 0.8:
            sep = r.choice([" ", ", "])
            return prof, replace(p, last_name=f"{p.last_name}{sep}{r.choice(CRM_SUFFIXES)}")
        return prof, replace(p, first_name=f"{r.choice(CRM_TITLES[:3])} {p.first_name}")

    def emoji(self, prof: Profile, p: Person) -> Profile:
        r = self.r
        shown = "".join(r.sample(EMOJI, r.randint(1, 3)))
        f, last = _slug(p.first_name) or "x", _slug(p.last_name) or "y"
        shapes = [f"{f}{last}", f"{f}.{last}", f"{f}_{last}", f"{f[0]}{last}", f"{last}.{f}"]
        h = r.choice(shapes)
        while h in self.handles:
            h += str(r.randint(0, 9))
        self.handles.add(h)
        return _with_handle(replace(prof, display_name=shown), h)

    def renamed_company(self, prof: Profile, p: Person) -> Profile:
        r = self.r
        old = _bare(p.company)
        new = self.rename(p.company)
        new_bare = _bare(new)
        bio = prof.bio
        said = [s for s in (old, old.split()[0] if " " in old else "") if s and s in bio]
        if said:
            bio = bio.replace(said[0], new_bare)
        else:
            bio = f"{bio.rstrip('. ')}. At {new_bare}.".lstrip(". ")
        u = r.random()
        if u < 0.3:
            bio += r.choice([f" (formerly {old})", f" Formerly {old}.", f" ex-{old}."])
        old_dom = p.email.rpartition("@")[2] if "@" in p.email else ""
        website = prof.website
        v = r.random()
        if v < 0.25 and old_dom and not old_dom.endswith(("gmail.com", "yahoo.com")):
            website = f"https://www.{old_dom}"  # the site kept its domain after the rename
        elif website:
            website = f"https://{_slug(new_bare)}.com"
        return replace(prof, bio=bio, website=website)

    def run(self, share: float, former_names: bool) -> Dataset:
        ds, r = self.ds, self.r
        family: dict[str, str] = {}
        profiles: list[Profile] = []
        touched: set[str] = set()
        # Each person's profiles: a person with two profiles is left out of the families.
        count: dict[str | None, int] = {}
        for t in ds.truth.values():
            count[t] = count.get(t, 0) + 1
        fams = list(SHARES)
        cum = [share * SHARES[f] for f in fams]
        for prof in ds.profiles:
            pid = ds.truth[prof.key]
            if pid is None:
                if r.random() < 0.12 * share:  # an outsider with a name in another script
                    script = r.choice(SCRIPTS)
                    prof, _ = self.scripted(prof, Person(id="x"), script, r.random() < 0.15)
                    family[prof.key] = f"outsider:script:{script}"
                profiles.append(prof)
                continue
            p = self.people[pid]
            u, fam = r.random(), ""
            for f, c in zip(fams, cum, strict=True):
                if u < c:
                    fam = f
                    break
                u -= c
            if not fam or pid in touched or count[pid] > 1:
                profiles.append(prof)
                continue
            touched.add(pid)
            if fam.startswith("script:"):
                prof, p = self.scripted(prof, p, fam.removeprefix("script:"), dual=False)
            elif fam == "dual name":
                prof, p = self.scripted(prof, p, r.choice(SCRIPTS), dual=True)
            elif fam == "emoji-only name":
                prof = self.emoji(prof, p)
            elif fam == "renamed company":
                if not p.company:
                    profiles.append(prof)
                    continue
                prof = self.renamed_company(prof, p)
            else:
                prof, p = self.crm_noise(prof, p, fam)
            self.people[pid] = p
            family[prof.key] = fam
            profiles.append(prof)
        # CRM records nobody's profile points at: some get names from the same tables, so
        # that a profile in another script has namesakes to be told apart from.
        linked = set(ds.truth.values())
        for pid, p in list(self.people.items()):
            if pid not in linked and r.random() < 0.06 * share:
                _, first, last, _ = script_name(r, r.choice(SCRIPTS))
                self.people[pid] = replace(
                    p, first_name=first, last_name=last, email=_email(r, p, first, last)
                )
        people = [self.people[p.id] for p in ds.people]
        if former_names:  # RevOps keep the new brand in a CRM field of the renamed accounts
            people = [
                replace(p, former_names=_bare(self.renamed[p.company]))
                if p.company in self.renamed
                else p
                for p in people
            ]
        return replace(ds, people=people, profiles=profiles, family=family)


def with_families(
    ds: Dataset, seed: int, share: float = 1.0, former_names: bool = False
) -> Dataset:
    """``ds`` with the families of #23 (``SHARES`` times ``share`` of the profiles of CRM
    people each), fully determined by ``seed``; ``Dataset.family`` names each one's.
    ``former_names``: the CRM records of renamed companies carry the new brand in their
    ``former_names`` field, as when RevOps map such a field."""
    if share <= 0:
        return ds
    return _Families(ds, seed).run(share, former_names)

"""Small curated word lists the normalizers need, kept in one place so they can be reviewed.

Each list is deliberately short: it covers what shows up in social display names, bios
and CRM company fields, not every possibility. Entries are lower-case ASCII (already
folded), because they are compared with folded text.
"""

from __future__ import annotations

# Honorifics that open a display name ("Dr. Jane Doe").
TITLES: frozenset[str] = frozenset(
    "mr mrs ms miss mx dr prof professor sir dame rev fr hon capt".split()
)

# Degrees, certifications and generational suffixes people append to their names.
DEGREES: frozenset[str] = frozenset(
    """phd dphil md mba msc ms ma mphil meng mfa mpa mph bsc bs ba beng llb llm jd
    cpa cfa cfp pmp pe rn dds dvm edd esq frcs facs acca cissp csm cspo shrm phr
    jr sr ii iii iv""".split()
)

# Legal-form suffixes stripped from company names ("Acme Inc." == "ACME").
LEGAL_SUFFIXES: frozenset[str] = frozenset(
    """inc incorporated corp corporation co company llc llp lp ltd limited plc gmbh ag
    kg sa sas sarl srl spa bv nv oy ab as aps pty pvt sl sro kk holding holdings
    group""".split()
)

# Words that introduce an employer in a bio or display name ("VP Eng at Acme"); "for" and
# "with" were tried and dropped: "here for the memes" is not an employer.
EMPLOYER_MARKERS: frozenset[str] = frozenset({"at", "@"})

# Words that may follow an employer marker without naming an employer.
NOT_EMPLOYERS: frozenset[str] = frozenset(
    """the a an my our home heart night work large scale times least first last
    all best""".split()
)

# Decoration around a name in a handle ("realjohnsmith", "janedoe_official").
HANDLE_PREFIXES: tuple[str, ...] = (
    "official",
    "hello",
    "itsme",
    "real",
    "the",
    "its",
    "iam",
    "hey",
)
HANDLE_SUFFIXES: tuple[str, ...] = ("official", "writes", "codes", "tweets", "hq", "dev")

# Free-mail and social hosts: a shared domain says nothing about an employer.
FREE_DOMAINS: frozenset[str] = frozenset(
    """gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr ymail.com hotmail.com
    hotmail.co.uk hotmail.fr outlook.com live.com msn.com aol.com icloud.com me.com
    mac.com proton.me protonmail.com pm.me gmx.com gmx.de gmx.net web.de t-online.de
    yandex.ru yandex.com mail.ru qq.com 163.com 126.com naver.com orange.fr free.fr
    laposte.net libero.it zoho.com fastmail.com hey.com tutanota.com
    linkedin.com twitter.com x.com instagram.com facebook.com youtube.com github.com
    github.io medium.com substack.com linktr.ee bit.ly about.me wordpress.com
    blogspot.com tiktok.com threads.net bsky.app""".split()
)

# Second-level public suffixes, so "acme.co.uk" keeps "acme" as its registered label.
SECOND_LEVEL_SUFFIXES: frozenset[str] = frozenset(
    "co.uk org.uk ac.uk com.au net.au co.jp co.in co.nz com.br com.mx co.za com.sg".split()
)

# City aliases -> canonical city. Canonical names map to themselves implicitly.
CITY_ALIASES: dict[str, str] = {
    "nyc": "new york",
    "new york city": "new york",
    "manhattan": "new york",
    "brooklyn": "new york",
    "big apple": "new york",
    "sf": "san francisco",
    "san fran": "san francisco",
    "sf bay area": "san francisco",
    "bay area": "san francisco",
    "san francisco bay area": "san francisco",
    "la": "los angeles",
    "l a": "los angeles",
    "dc": "washington",
    "washington dc": "washington",
    "washington d c": "washington",
    "philly": "philadelphia",
    "atx": "austin",
    "chi": "chicago",
    "chitown": "chicago",
    "nola": "new orleans",
    "vegas": "las vegas",
    "greater london": "london",
    "ldn": "london",
    "munchen": "munich",
    "muenchen": "munich",
    "koln": "cologne",
    "koeln": "cologne",
    "wien": "vienna",
    "praha": "prague",
    "lisboa": "lisbon",
    "roma": "rome",
    "milano": "milan",
    "firenze": "florence",
    "napoli": "naples",
    "bruxelles": "brussels",
    "brussel": "brussels",
    "kobenhavn": "copenhagen",
    "den haag": "the hague",
    "s gravenhage": "the hague",
    "geneve": "geneva",
    "zuerich": "zurich",
    "warszawa": "warsaw",
    "bombay": "mumbai",
    "bengaluru": "bangalore",
    "peking": "beijing",
    "saigon": "ho chi minh city",
    "hcmc": "ho chi minh city",
    "cdmx": "mexico city",
    "ciudad de mexico": "mexico city",
    "sao paulo": "sao paulo",
    "sampa": "sao paulo",
    "montreal": "montreal",
    "tlv": "tel aviv",
    "tel aviv yafo": "tel aviv",
}

# Canonical city -> canonical country, so "Berlin" also agrees with country "Germany".
CITY_COUNTRY: dict[str, str] = {
    "new york": "united states",
    "san francisco": "united states",
    "los angeles": "united states",
    "washington": "united states",
    "philadelphia": "united states",
    "austin": "united states",
    "chicago": "united states",
    "new orleans": "united states",
    "las vegas": "united states",
    "boston": "united states",
    "seattle": "united states",
    "denver": "united states",
    "atlanta": "united states",
    "miami": "united states",
    "dallas": "united states",
    "houston": "united states",
    "san diego": "united states",
    "portland": "united states",
    "london": "united kingdom",
    "manchester": "united kingdom",
    "edinburgh": "united kingdom",
    "dublin": "ireland",
    "paris": "france",
    "lyon": "france",
    "berlin": "germany",
    "munich": "germany",
    "hamburg": "germany",
    "cologne": "germany",
    "frankfurt": "germany",
    "vienna": "austria",
    "zurich": "switzerland",
    "geneva": "switzerland",
    "amsterdam": "netherlands",
    "rotterdam": "netherlands",
    "the hague": "netherlands",
    "brussels": "belgium",
    "madrid": "spain",
    "barcelona": "spain",
    "lisbon": "portugal",
    "rome": "italy",
    "milan": "italy",
    "florence": "italy",
    "naples": "italy",
    "prague": "czechia",
    "warsaw": "poland",
    "copenhagen": "denmark",
    "stockholm": "sweden",
    "oslo": "norway",
    "helsinki": "finland",
    "toronto": "canada",
    "montreal": "canada",
    "vancouver": "canada",
    "sydney": "australia",
    "melbourne": "australia",
    "tokyo": "japan",
    "singapore": "singapore",
    "mumbai": "india",
    "bangalore": "india",
    "delhi": "india",
    "beijing": "china",
    "shanghai": "china",
    "ho chi minh city": "vietnam",
    "hanoi": "vietnam",
    "mexico city": "mexico",
    "sao paulo": "brazil",
    "tel aviv": "israel",
    "dubai": "united arab emirates",
}

# Country aliases -> canonical country (US states and UK nations fold into their country).
COUNTRY_ALIASES: dict[str, str] = {
    "us": "united states",
    "usa": "united states",
    "u s": "united states",
    "u s a": "united states",
    "united states of america": "united states",
    "america": "united states",
    "uk": "united kingdom",
    "u k": "united kingdom",
    "gb": "united kingdom",
    "great britain": "united kingdom",
    "britain": "united kingdom",
    "england": "united kingdom",
    "scotland": "united kingdom",
    "wales": "united kingdom",
    "deutschland": "germany",
    "de": "germany",
    "allemagne": "germany",
    "osterreich": "austria",
    "schweiz": "switzerland",
    "suisse": "switzerland",
    "nederland": "netherlands",
    "holland": "netherlands",
    "the netherlands": "netherlands",
    "nl": "netherlands",
    "belgique": "belgium",
    "espana": "spain",
    "italia": "italy",
    "czech republic": "czechia",
    "polska": "poland",
    "danmark": "denmark",
    "sverige": "sweden",
    "norge": "norway",
    "suomi": "finland",
    "brasil": "brazil",
    "uae": "united arab emirates",
    "nippon": "japan",
    "fr": "france",
    "ny": "united states",
    "ca": "united states",
    "tx": "united states",
    "wa": "united states",
    "ma": "united states",
    "il": "united states",
    "co": "united states",
    "ga": "united states",
    "fl": "united states",
    "california": "united states",
    "texas": "united states",
    "massachusetts": "united states",
    "illinois": "united states",
    "colorado": "united states",
    "florida": "united states",
    "georgia": "united states",
    "oregon": "united states",
    "ontario": "canada",
    "quebec": "canada",
    "bc": "canada",
    "nsw": "australia",
    "victoria": "australia",
}

# Job-title abbreviations -> the words they stand for, so "VP Eng" meets "VP Engineering"
# and "CTO" meets "Chief Technology Officer" (both sides are expanded).
TITLE_ABBREVIATIONS: dict[str, str] = {
    "vp": "vice president",
    "svp": "senior vice president",
    "evp": "executive vice president",
    "avp": "assistant vice president",
    "eng": "engineering",
    "engg": "engineering",
    "dir": "director",
    "mgr": "manager",
    "mngr": "manager",
    "sr": "senior",
    "jr": "junior",
    "ceo": "chief executive officer",
    "cto": "chief technology officer",
    "cfo": "chief financial officer",
    "coo": "chief operating officer",
    "cmo": "chief marketing officer",
    "cro": "chief revenue officer",
    "cio": "chief information officer",
    "cpo": "chief product officer",
    "ciso": "chief information security officer",
    "chro": "chief human resources officer",
    "pm": "product manager",
    "ae": "account executive",
    "sdr": "sales development representative",
    "bdr": "business development representative",
    "swe": "software engineer",
    "sre": "site reliability engineer",
    "ux": "user experience",
    "hr": "human resources",
    "mktg": "marketing",
    "ops": "operations",
    "revops": "revenue operations",
    "bizdev": "business development",
    "bd": "business development",
    "cofounder": "founder",
    "acct": "account",
    "exec": "executive",
    "dev": "developer",
}

# Seniority words dropped before titles are compared: "Senior Data Scientist" is still one.
TITLE_SENIORITY: frozenset[str] = frozenset(
    {"senior", "junior", "principal", "staff", "interim", "acting", "lead"}
)

# Words that make a phrase a job title; a profile using one states *a* title. "lead" is
# one too ("RevOps Lead", "Tech Lead") although, as a seniority, it is not compared.
TITLE_ROLE_WORDS: frozenset[str] = frozenset(
    {
        "chief",
        "officer",
        "founder",
        "owner",
        "president",
        "director",
        "head",
        "manager",
        "engineer",
        "developer",
        "scientist",
        "architect",
        "executive",
        "analyst",
        "consultant",
        "designer",
        "partner",
        "recruiter",
        "specialist",
        "representative",
        "administrator",
        "coordinator",
        "strategist",
        "researcher",
        "programmer",
        "lead",
    }
)

# Two-letter words and abbreviations a profile writes in capitals that are no employer
# (a company whose initials they are is not named by them: "Head of HR" for Hall-Reed).
TWO_LETTER_WORDS: frozenset[str] = frozenset(
    "vp hr it pm ai ml ux ui qa bd pr us uk eu ny sf la dc tx ca wa ma il fl co ga nc oh or "
    "az mn tn pa bc on nl de fr es ch se no dk fi jp cn in au nz ok hq ev ar vr ip go "
    "am an as at be by do he if is me my of so to up we ad cx cs gm md ph ms ba bs".split()
)

"""Word lists the normaliser needs that no library provides in this form.

Legal forms come mostly from ``rigour`` (see :mod:`clearance.matching.normalize`);
these tables add what it leaves out (Corporation, Company, Chinese suffixes)
and the abbreviations, titles and particles of the lists' names. Everything
is lower case ASCII, as names are after folding.
"""

from __future__ import annotations

# Word forms mapped to one canonical form, so that "Intl" and "International"
# compare equal. Both sides of a comparison go through the same map.
ABBREVIATIONS: dict[str, str] = {
    "intl": "international", "int'l": "international", "internat": "international",
    "telecom": "telecommunications", "telecoms": "telecommunications",
    "telecommunication": "telecommunications", "telecomm": "telecommunications",
    "tech": "technology", "technologies": "technology", "techn": "technology",
    "grp": "group", "svcs": "services", "svc": "services", "service": "services",
    "mfg": "manufacturing", "manuf": "manufacturing", "ind": "industries",
    "indus": "industries", "industry": "industries", "industrial": "industries",
    "eng": "engineering", "engg": "engineering", "natl": "national", "nat'l": "national",
    "assn": "association", "assoc": "association", "dept": "department",
    "dev": "development", "devt": "development", "elec": "electronics",
    "electronic": "electronics", "equip": "equipment", "hldgs": "holdings",
    "hldg": "holdings", "holding": "holdings", "invest": "investment",
    "investments": "investment", "mgmt": "management", "mktg": "marketing",
    "petrochem": "petrochemical", "sci": "science", "sciences": "science",
    "shpg": "shipping", "trdg": "trading", "univ": "university", "bros": "brothers",
    "st": "saint", "mt": "mount", "ft": "fort", "ctr": "center", "centre": "center",
    "mohd": "mohammed", "muhd": "mohammed", "md": "mohammed",
    # Numbers written out ("Beijing Eight Star" is "Beijing 8-Star").
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10",
}

# Legal forms rigour does not reduce, with the canonical short form used in comparison.
EXTRA_LEGAL_FORMS: dict[str, str] = {
    "corporation": "corp", "corp": "corp", "company": "co", "co": "co", "limited": "ltd",
    "ltd": "ltd", "incorporated": "inc", "inc": "inc", "llc": "llc", "plc": "plc",
    "gmbh": "gmbh", "ag": "ag", "sa": "sa", "srl": "srl", "spa": "spa", "bv": "bv",
    "nv": "nv", "doo": "doo", "ooo": "ooo", "oao": "oao", "zao": "zao", "pao": "pao",
    "ao": "ao", "jsc": "jsc", "ojsc": "ojsc", "cjsc": "cjsc", "pjsc": "pjsc", "fze": "fze",
    "fzco": "fzco", "fzc": "fzc", "fzllc": "fzllc", "pte": "pte", "pvt": "pvt", "sdn": "sdn",
    "bhd": "bhd", "kk": "kk", "sas": "sas", "sarl": "sarl", "lp": "lp", "llp": "llp",
    "coltd": "coltd", "cv": "cv", "sacv": "sacv", "sadecv": "sacv",
}

# Chinese legal-form suffixes, longest first (stripped from Han-script names).
HAN_LEGAL_FORMS: tuple[str, ...] = (
    "股份有限公司", "有限责任公司", "有限公司", "集团公司", "总公司", "分公司", "公司",
)

# Words that carry no identity in a name.
STOPWORDS: frozenset[str] = frozenset({
    "the", "of", "and", "for", "a", "&", "y", "et", "und",
})
"""Function words, dropped wherever they stand (when other words remain). Not "an": it is
a Korean, Chinese and Vietnamese surname (AN Chol, 安), and a syllable that a scanner's
stray space cuts from a word ("YU AN" for "YUAN")."""

ARTICLES: frozenset[str] = frozenset({
    "der", "die", "das", "la", "de", "le", "les", "el", "los", "las", "del", "di", "da", "do",
    "dos",
})
"""Articles and prepositions, dropped inside a name ("BANCO DE LA REPUBLICA") but kept at
its ends, where they may be a name of their own: the Vietnamese surnames Le and Do, "SAM LA"."""

# Titles and honorifics before a person's name.
TITLES: frozenset[str] = frozenset({
    "mr", "mrs", "ms", "miss", "dr", "prof", "sir", "dame", "lord", "lady", "sheikh",
    "shaikh", "shaykh", "sheik", "haji", "hajji", "hajj", "imam", "mullah", "mulla",
    "maulana", "mawlawi", "mawlavi", "maulvi", "qari", "sayed", "sayyid", "syed", "general",
    "gen", "col", "colonel", "major", "maj", "capt", "captain", "lt", "brigadier",
    "admiral", "adm", "sgt", "hon", "honorable", "rev", "reverend", "father", "fr", "emir",
    "amir", "prince", "princess", "king", "queen", "president", "minister", "ambassador",
    "engineer", "eng", "ustadh", "ustad", "doctor", "herr", "frau", "monsieur", "madame",
    "senor", "senora", "don", "dona",
})

# Generational suffixes after a person's name.
SUFFIXES: frozenset[str] = frozenset({"jr", "sr", "junior", "senior", "ii", "iii", "iv"})

# Particles inside names: kept, but weigh little and may be glued to the next word
# ("al-Qaida" = "alqaida" = "al qaida").
# Spellings of one name element that transliteration systems disagree on, to one
# form: Arabic "son of" (Ben Ali / Ibn Ali / Bin Ali) and the Korean surname 리/이
# (Ri in the North, Yi/Lee/Rhee in the South). Kept small: each pair here is a
# documented variant, not a guess.
EQUIVALENTS: dict[str, str] = {
    "ben": "bin", "ibn": "bin",
    "ri": "ri", "rhee": "ri", "yi": "ri", "lee": "ri", "rhi": "ri",
    "choi": "choe", "park": "pak", "bak": "pak",
    # 김 (Kim; Gim in the South's Revised Romanization) and 정 (Chŏng in McCune-Reischauer,
    # Jeong in RR, Jong as the North writes it, Jung and Chung in common use). The
    # harness's transliteration class draws on the same systems, so for these two
    # surnames it measures this table rather than the matcher.
    "gim": "kim", "chong": "jong", "jeong": "jong", "jung": "jong", "chung": "jong",
}

# Words of legal forms, spelled out: a query that garbles one ("LIMMITED",
# "COIMPANY") or writes it differently should not lose the match over it.
LEGAL_WORDS: frozenset[str] = frozenset({
    "limited", "liability", "company", "joint", "stock", "public", "open", "closed",
    "corporation", "incorporated", "partnership", "private", "holding", "enterprise",
    "federal", "state", "unitary", "society", "cooperative", "ltd", "llc", "llp", "inc",
    "corp", "co", "jsc", "ojsc", "cjsc", "pjsc", "ooo", "oao", "zao", "pao", "ao", "gmbh",
    "ag", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "plc", "pte", "pty", "fze", "fzco",
    "fzc", "fzllc", "lda", "limitada", "sociedad", "anonima", "aktiengesellschaft",
    # Russian legal forms written out in Latin letters (OOO, AO, PAO, ZAO...).
    "obshchestvo", "obschestvo", "ogranichennoi", "ogranichennoy", "otvetstvennostyu",
    "aktsionernoe", "zakrytoe", "otkrytoe", "publichnoe", "kompaniya", "tovarishchestvo",
})

PARTICLES: frozenset[str] = frozenset({
    "al", "el", "ul", "bin", "ibn", "bint", "abu", "abd", "abdul", "van", "von", "de", "der",
    "den", "du", "da", "di", "del", "della", "le", "la", "dos", "das", "ben", "ould", "ag",
    "mac", "mc", "st", "ter", "ten", "zu", "les", "los", "las", "do", "die",
})

# Letters of other scripts that look like Latin ones (Unicode TR39 confusables,
# Cyrillic and Greek subset). Applied only inside tokens that mix scripts, where
# they are a disguise rather than a foreign word.
HOMOGLYPHS: dict[str, str] = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i",
    "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J",
    "α": "a", "ο": "o", "ρ": "p", "ν": "v", "τ": "t", "υ": "u", "κ": "k", "ι": "i",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}

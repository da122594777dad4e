"""Regular-expression recognisers for identifiers in transcript text (clean, ASR and disfluent).

Pure data: each `RegexSpec` is a compiled pattern, the kind it finds, a score, the group that is the
identifier (a title or a cue word stays outside the span) and an optional check of the match. Patterns
are case-insensitive unless they rely on capitals (names after a title, postcodes, NI numbers).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

Check = Callable[[re.Match], bool]


@dataclass(frozen=True)
class RegexSpec:
    name: str
    kind: str
    regex: re.Pattern
    score: float
    group: str | int = 0
    check: Check | None = None
    # The span is a single lower-case word that must not be an everyday word (checked against the lexicon).
    name_word: bool = False


CI = re.IGNORECASE

# -- building blocks ---------------------------------------------------------------------------------------
MONTH_FULL = r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
MONTH_ANY = r"(?:january|february|march|april|may|june|july|august|september|october|november|december|" \
            r"jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?"
WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
UNIT_ORD = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
ORD_WORD = rf"(?:(?:twenty|thirty)[\s-]+{UNIT_ORD}|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|" \
           rf"sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth|{UNIT_ORD})"
ORD_DIGIT = r"(?:[12]?\d|3[01])(?:st|nd|rd|th)"
DAYNUM = rf"(?:{ORD_DIGIT}|(?:[12]?\d|3[01])(?!\d))"
ORD = rf"(?:{ORD_DIGIT}|{ORD_WORD})"
YEAR = r"(?:(?:19|20)\d\d|'\d\d)"
# Nouns after "the 3rd ..." that make it something other than a date.
NOT_DATE_NOUNS = r"(?:time|times|one|ones|floor|century|person|people|thing|day|week|month|year|place|grade|" \
                 r"round|step|session|attempt|go|child|kid|baby|birthday|anniversary|wife|husband|job|" \
                 r"of\s+(?:the|them|us|my|his|her|those|these|all|every))"
UNITS = r"(?:one|two|three|four|five|six|seven|eight|nine)"
NUMWORD = rf"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-]+{UNITS})?|ten|eleven|twelve|" \
          rf"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|{UNITS}|a\s+hundred|one\s+hundred)"
DIGIT_WORD = r"(?:oh|zero|nought|one|two|three|four|five|six|seven|eight|nine|" \
             r"(?:double|triple)\s+(?:oh|zero|one|two|three|four|five|six|seven|eight|nine)|hundred|\d{1,5})"
STOP = r"(?:(?:mum|mam|mom|dad|nan|gran|grandma|grandad|sister|brother|aunt|auntie|uncle|cousin|friend|" \
       r"partner|husband|wife|son|daughter|mother|father|boss|mate)(?:'s)?|the|a|an|my|his|her|our|their|" \
       r"your|this|that|to|at|in|on|from|of|for|with|and|or|was|is|i|he|she|" \
       r"they|we|you|it|me|him|them|local|general|big|new|old|same|other|whole|main|mental|psychiatric|private|" \
       r"children's|public|primary|secondary|high|state|nursery|secure|medical|driving|law|night|summer|boarding|" \
       r"grammar|sixth|form|dental|art|drama|dance|heart|knee|back|hip|eye|major|minor|keyhole|brain|weight|" \
       r"plastic|cosmetic|gp|emergency|day|care|hospital|university|college|school|uni|went|go|going|been|" \
       r"memory|pain|fertility|walk-in|sleep|eating|gender|health|sexual|diabetes|cancer|methadone|drug|alcohol)"
STREET = r"(?:street|st|road|rd|avenue|ave|lane|ln|drive|close|way|crescent|place|court|terrace|gardens|grove|" \
         r"boulevard|blvd|hill|square|row|mews|parade|walk|rise)"
STREET_STRICT = r"(?:street|road|avenue|lane|drive|close|crescent|terrace|gardens|grove|boulevard|mews|parade)"
# Abbreviated titles may end in a full stop; whole-word titles may not ("I told my sister. Then ...").
TITLE = r"(?:(?:dr|mr|mrs|ms|mx|prof|rev|sgt)\.?|doctor|miss|professor|judge|nurse|sister|father|reverend|" \
        r"pastor|imam|rabbi|auntie|aunty|aunt|uncle|grandma|grandad|granddad|grandpa|granny|nan|nana|nanna|" \
        r"gran|cousin|officer|sergeant|coach|mister|missus|sir|dame|lady)"
CAP_NAME = r"(?:(?:[Vv]an|[Dd]e|[Dd]er|[Vv]on|[Dd]a|[Dd]i|[Ll]e|[Dd]u|[Dd]os|[Dd]el)\s+)*" \
           r"(?:O'|Mc|Mac)?[A-Z][a-zA-Z'\u2019\-]*[a-z][a-zA-Z\-]*"
ORG_SUFFIX = r"(?:Hospital|Infirmary|Surgery|Clinic|Centre|Center|Practice|Academy|School|College|University|" \
             r"Primary|Nursery|Church|Chapel|Mosque|Temple|Gurdwara|Synagogue|Court|Tribunal|Prison|Trust|" \
             r"Council|Crematorium|Cemetery|Hospice|Library|Pharmacy|Dental|Team|Service|Services|Foundation|" \
             r"Partnership|Group|Ltd|Limited|plc|LLP|Bank|Hotel|Restaurant|Cafe|Café|Pub|Inn|Club|Gym|Agency|" \
             r"Associates|Architects|Solicitors|Insurance|Logistics|Foods|Lodge|Home|Grammar|Psychology|Therapy)"
ORG_SUFFIX_LOWER = r"(?:hospital|infirmary|surgery|clinic|academy|primary|college|university|court|tribunal|" \
                   r"prison|crematorium|hospice|trust|practice|school|care\s+home|nursing\s+home)"
AGE_NOT_AFTER = r"(?!\s*(?:%|per\s*cent|percent|pounds|quid|minutes|mins|seconds|degrees|miles|mph|times|" \
                r"days|weeks|kilos|kg|pence|dollars|euros|people|of|grand|k\b))"
AGE_CUE = r"(?:aged?|turn(?:s|ed|ing)?|(?:she|he|i|who|mum|dad)(?:'s|\s+is|\s+was|'m|\s+am|\s+will\s+be|'ll\s+be)|" \
          r"is|was|be|about|nearly|almost|over|like|now)"
ID_CUE = r"(?:mrn|nhs|record|hospital|patient|case|reference|ref|file|complaint|claim|policy|account|customer|" \
         r"membership|licen[cs]e|passport|insurance|tracking|crime|booking|client|tenancy|housing)"


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def _plausible_numeric_date(m: re.Match) -> bool:
    parts = [int(p) for p in re.split(r"[/.\-]", m.group(0)) if p.isdigit()]
    if len(parts) != 3:
        return False
    if len(m.group(0).split(re.search(r"[/.\-]", m.group(0)).group(0))[0]) == 4:  # yyyy-mm-dd
        return 1 <= parts[1] <= 12 and 1 <= parts[2] <= 31
    a, b = parts[0], parts[1]
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)


def _uk_phone(m: re.Match) -> bool:
    text = m.group(0)
    n = _digits(text)
    return (10 <= n - 2 <= 11) if text.lstrip("(").startswith("+44") else n in (10, 11)


def _not_date_like(m: re.Match) -> bool:
    return re.fullmatch(r"\d{1,2}[/\-]\d{1,2}[/\-]\d{2,4}", m.group(0)) is None


def _spoken_number_check(min_digits: int) -> Check:
    def check(m: re.Match) -> bool:
        words = re.findall(r"[a-z]+|\d+", m.group("span").lower())
        n = 0
        for w in words:
            if w in ("double",):
                n += 1
            elif w == "triple":
                n += 2
            elif w.isdigit():
                n += len(w)
            elif w in ("oh", "zero", "nought", "one", "two", "three", "four", "five", "six", "seven", "eight",
                       "nine"):
                n += 1
        return n >= min_digits
    return check


def build_specs() -> list[RegexSpec]:
    """All pattern recognisers, in no particular order (overlaps are merged later)."""
    s: list[RegexSpec] = []

    def add(name, kind, pattern, score, flags=CI, group=0, check=None, name_word=False):
        s.append(RegexSpec(name, kind, re.compile(pattern, flags), score, group, check, name_word))

    # -- dates finer than a year --------------------------------------------------------------------------
    # A full stop may end the sentence after a date ("on 5/3/24."), but not continue the number.
    add("date_numeric", "DATE", r"(?<![\d/\-])(?<!\d\.)\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})(?![\d/\-]|\.\d)", 0.9,
        check=_plausible_numeric_date)
    add("date_iso", "DATE", r"(?<!\d)(?:19|20)\d\d-\d{1,2}-\d{1,2}(?!\d)", 0.9, check=_plausible_numeric_date)
    add("date_day_month", "DATE",
        rf"\b(?:(?:last|next|this)\s+)?(?:{WEEKDAY},?\s+)?(?:the\s+)?(?:{DAYNUM}|{ORD_WORD})\s+(?:of\s+)?"
        rf"(?:{MONTH_ANY}|(?:next|last|this)\s+month)\b(?:,?\s+{YEAR}\b)?", 0.9)
    add("date_month_day", "DATE",
        rf"\b{MONTH_ANY}\s+(?:the\s+)?(?:{ORD_DIGIT}|{ORD_WORD}|(?:[12]?\d|3[01])(?=\W*(?:,|\s+(?:19|20)\d\d|$)))"
        rf"\b(?:,?\s+{YEAR}\b)?", 0.9)
    add("date_weekday", "DATE",
        rf"\b(?:(?:last|next|this)\s+)?{WEEKDAY}\b(?:\s+(?:the\s+)?{ORD}\b)?", 0.7)
    add("date_month_year", "DATE", rf"\b{MONTH_ANY}\s+(?:of\s+)?{YEAR}\b", 0.9)
    add("date_ordinal", "DATE", rf"\bthe\s+{ORD_DIGIT}\b(?!\s+{NOT_DATE_NOUNS}\b)", 0.7)
    add("date_ordinal_word", "DATE",
        rf"\b(?:on|by|from|until|till|til|since|before|after|it's|it\s+is|is|was|for)\s+(?P<span>the\s+{ORD_WORD})\b"
        rf"(?!\s+{NOT_DATE_NOUNS}\b)", 0.7, group="span")
    # A month on its own: capitalised (not May or March, which start sentences and mean other things), or
    # any month after a cue word.
    add("date_month_cap", "DATE",
        r"\b(?:January|February|April|June|July|August|September|October|November|December)\b", 0.6, flags=0)
    add("date_month_cue", "DATE",
        rf"\b(?:in|since|until|till|by|from|of|last|next|this|early|late|mid|end\s+of|beginning\s+of|start\s+of)"
        rf"[\s-]+(?P<span>{MONTH_FULL})\b(?!\s+(?:be|have|not|take|help|seem|sound|make|mean|feel|work|happen|"
        rf"well|need|get|come|go|look|i|we|you|he|she|they|it)\b)", 0.7, group="span")
    add("date_month_day_cap", "DATE",
        r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|"
        r"Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?\s+(?:the\s+)?(?:[12]?\d|3[01])\b(?!\s*(?:%|people|times))",
        0.85, flags=0)
    add("date_ordinal_word_end", "DATE", rf"\bthe\s+{ORD_WORD}(?=\s*[.?!]|\s*$)", 0.5)
    add("date_holiday", "DATE",
        r"\b(?:christmas(?:\s+(?:eve|day))?|xmas|boxing\s+day|new\s+year'?s(?:\s+(?:eve|day))?|"
        r"easter(?:\s+(?:sunday|monday|weekend))?|good\s+friday|valentine'?s(?:\s+day)?|bonfire\s+night|"
        r"halloween|thanksgiving|mother'?s\s+day|father'?s\s+day|diwali|hanukkah|yom\s+kippur|eid)\b", 0.6)

    # -- ages over 89 (the number only; ages up to 89 are kept) -------------------------------------------
    add("age_years_old", "AGE", r"\b(?P<span>9\d|1[01]\d)(?:\s*-?\s*)(?:years?|yrs?)(?:\s*-?\s*)old\b", 0.9,
        group="span")
    add("age_year_old_words", "AGE",
        r"\b(?P<span>ninety(?:[\s-]+(?:one|two|three|four|five|six|seven|eight|nine))?|(?:a|one)\s+hundred"
        r"(?:\s+and\s+(?:one|two|three|four|five|six|seven|eight|nine|ten))?)[\s-]+years?[\s-]+old\b", 0.9,
        group="span")
    add("age_cue", "AGE", rf"\b{AGE_CUE},?\s+(?P<span>9\d|1[01]\d)\b{AGE_NOT_AFTER}", 0.85, group="span")
    add("age_ninety_words", "AGE",
        rf"\b(?P<span>ninety(?:[\s-]+(?:one|two|three|four|five|six|seven|eight|nine))?)\b{AGE_NOT_AFTER}", 0.7,
        group="span")
    add("age_hundred_words", "AGE",
        rf"\b{AGE_CUE},?\s+(?P<span>(?:a|one)\s+hundred(?:\s+and\s+(?:one|two|three|four|five|six|seven|eight|"
        rf"nine|ten))?)\b{AGE_NOT_AFTER}", 0.8, group="span")
    add("age_birthday", "AGE",
        r"\b(?P<span>(?:9\d|1[01]\d)(?:st|nd|rd|th)|ninetieth|ninety[\s-]\w+th|hundredth)\s+birthday", 0.85,
        group="span")

    # -- phone numbers ------------------------------------------------------------------------------------
    add("phone_uk", "PHONE",
        r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?\d{2,5}|\(?0\d{2,5}\)?)[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\w)", 0.9,
        check=_uk_phone)
    add("phone_us", "PHONE", r"(?<![\w+])(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\w)", 0.7)
    add("phone_us_short", "PHONE", r"(?<![\w-])555[\s.-]\d{4}(?!\w)", 0.7)
    add("phone_spoken", "PHONE",
        rf"\b(?P<span>(?:plus\s+)?{DIGIT_WORD}(?:[\s,-]+{DIGIT_WORD}){{5,}})\b", 0.6, group="span",
        check=_spoken_number_check(7))

    # -- record numbers -----------------------------------------------------------------------------------
    add("id_nhs_cue", "ID", r"\bnhs\s+(?:number|no\.?)?\W{0,3}(?:is\s+|was\s+)?(?:\w+\s+){0,4}?"
        r"(?P<span>\d{3}[\s-]?\d{3}[\s-]?\d{4})\b", 0.95, group="span")
    add("id_cue_token", "ID",
        rf"\b{ID_CUE}(?:\s+(?:number|no\.?|num|id|ref(?:erence)?))?\s*(?:is|was)?\s*[,:#]?\s*"
        rf"(?P<span>(?=[A-Za-z0-9/\-]*\d)[A-Za-z0-9][A-Za-z0-9/\-]{{3,}}(?:\s(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{{2,}})*)",
        0.9, group="span")
    add("id_cue_spoken", "ID",
        rf"\b{ID_CUE}(?:\s+(?:number|no|num|id|ref(?:erence)?))?\s+(?:is\s+|was\s+)?"
        rf"(?P<span>(?:(?:[a-z]|{DIGIT_WORD}|slash|dash|stroke|hyphen)\s+){{3,}}(?:[a-z]|{DIGIT_WORD}))\b", 0.9,
        group="span", check=_spoken_number_check(3))
    add("id_alnum", "ID", r"(?<![\w-])(?=[A-Z0-9/\-]*[A-Z])(?=(?:[A-Z/\-]*\d){3})[A-Z0-9][A-Z0-9/\-]{4,}(?![\w-])",
        0.75, flags=0)
    add("id_number_groups", "ID", r"(?<![\w/\-])\d{2,}(?:[/\-]\d{2,})+(?:\s\d{6,})?(?![\w/\-])", 0.6,
        check=_not_date_like)
    add("id_long_number", "ID", r"(?<![\w+])[1-9]\d{5,}(?!\w)", 0.5)
    # Any two letters: the prefixes used in examples (QQ) are formally invalid but still identify a record.
    add("id_ni_number", "ID", r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", 0.9, flags=0)
    add("id_ssn", "ID", r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)", 0.85)

    # -- e-mail and web addresses -------------------------------------------------------------------------
    add("email", "EMAIL", r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", 0.95)
    add("email_spoken", "EMAIL",
        r"\b[a-z0-9]+(?:\s+(?:dot|underscore)\s+[a-z0-9]+)*\s+at\s+[a-z0-9]+(?:\s+dot\s+[a-z0-9]+)*\s+dot\s+"
        r"(?:com|org|net|co\s+dot\s+uk|ac\s+dot\s+uk|nhs\s+dot\s+uk|org\s+dot\s+uk|co|uk|edu|gov|io)\b", 0.85)
    add("url", "URL", r"\b(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)]", 0.95)
    add("url_domain", "URL",
        r"(?<![@\w.\-])(?:[a-z0-9\-]+\.)+(?:com|org|net|io|info|biz|me|co\.uk|org\.uk|ac\.uk|gov\.uk|nhs\.uk|uk|"
        r"edu|gov|ie)\b(?:/[^\s<>\"']*[^\s<>\"'.,;:!?)])?", 0.85)
    add("url_spoken", "URL", r"\b(?:w\s*w\s*w|www)\s+dot\s+[a-z0-9]+(?:\s+dot\s+[a-z0-9]+)+", 0.85)

    # -- addresses ----------------------------------------------------------------------------------------
    add("address_number_street", "ADDRESS",
        rf"\b(?:(?:flat|apartment|apt|unit|room)\s+\w+,?\s+)?(?:\d{{1,4}}[a-z]?|{NUMWORD}),?\s+"
        rf"(?:(?!{STOP}\b)[A-Za-z][a-z'\-]+\s+){{1,3}}{STREET}\b", 0.9)
    add("address_street_cap", "ADDRESS",
        r"\b(?!(?:The|A|An|My|This|That|Our|Your|His|Her|Their|No|One|I)\b)(?:[A-Z][a-z'\-]+\s+){1,2}"
        r"(?:Street|Road|Avenue|Lane|Drive|Close|Crescent|Terrace|Gardens|Grove|Boulevard|Mews|Parade|Square|"
        r"Way|Place|Row|Hill|Walk)\b", 0.8, flags=0)
    add("address_street_cue", "ADDRESS",
        rf"\b(?:on|at|off|in|from|near|down|up|along|to)\s+(?P<span>(?:(?!{STOP}\b)[a-z][a-z'\-]*\s+){{1,2}}"
        rf"{STREET_STRICT})\b", 0.75, group="span")
    add("address_postcode", "ADDRESS", r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[ABD-HJLNP-UW-Z]{2}\b", 0.9, flags=0)
    add("address_building", "ADDRESS", r"\b[A-Z][a-z]+\s+(?:House|Mansions|Buildings|Cottage|Towers)\b", 0.6,
        flags=0)

    # -- organisations --------------------------------------------------------------------------------------
    add("org_suffix", "ORG",
        rf"\b(?:(?:St\.?|Saint)\s+)?(?:(?!(?:The|My|A|An|Our|Your|His|Her|Their|This|That|At|In|On|To|From|I)\b)"
        rf"[A-Z][\w'&\-]*\s+){{1,4}}{ORG_SUFFIX}\b", 0.85, flags=0)
    add("org_university_of", "ORG", r"\bUniversity\s+of\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?", 0.9, flags=0)
    add("org_suffix_lower", "ORG",
        rf"(?<![\w'\u2019])(?:(?!{STOP}\b|[a-z]+(?:ing|ed)\b)[a-z][a-z'&\-]*\s+){{1,3}}{ORG_SUFFIX_LOWER}\b",
        0.6)
    add("org_saint", "ORG", r"\b(?:st\.?|saint)\s+[a-z]+(?:'s)?(?:\s+(?:hospital|church|school|primary))?\b", 0.6)
    add("org_royal", "ORG", r"\broyal\s+(?!mail\b|family\b|baby\b)[a-z]+(?:\s+[a-z]+)?\s*(?:hospital|infirmary)?\b",
        0.5)
    add("org_prison", "ORG", r"\b(?:hmp|hmyoi)\s+[a-z]+\b", 0.9)

    # -- people: a title and a capitalised name, or a lower-case name after a title ---------------------------
    add("person_title", "PERSON", rf"\b(?i:{TITLE})\.?\s+(?P<span>{CAP_NAME}(?:[\s-]+{CAP_NAME})?)", 0.9,
        flags=0, group="span")
    add("person_title_lower", "PERSON",
        r"\b(?:dr|doctor|mr|mister|mrs|missus|ms|judge|auntie|aunty|uncle|nan|nana|grandma|grandad|grandpa)\.?\s+"
        r"(?P<span>[a-z][a-z'\-]+)\b", 0.6, group="span", name_word=True)
    return s

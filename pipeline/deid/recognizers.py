"""Presidio recognisers of our own: patterns, word lists with cues, and the session's speaker names.

spaCy's statistical NER (wired in by engine.py) finds capitalised names, places and organisations in clean
text; these recognisers add what it misses: formats (phones, record numbers, dates in many spellings),
lower-case ASR text (names after a cue, listed first names and places), and the speakers' own names.
"""
from __future__ import annotations

import re
from typing import Iterable

from presidio_analyzer import LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from .config import DeidConfig
from .patterns import RegexSpec, build_specs
from .spans import _TITLE_WORDS

# Parts of speech that are never the name after a cue word ("my mum said", "my friend and I").
_NOT_NAME_POS = {"AUX", "VERB", "ADP", "DET", "PRON", "CCONJ", "SCONJ", "PART", "NUM", "PUNCT", "ADV", "SYM"}
_FILLERS = {",", "um", "uh", "er", "erm", "like", "-", "\u2014", "\u2013"}
_CALENDAR = re.compile(r"(?:mon|tues|wednes|thurs|fri|satur|sun)days?|january|february|march|april|may|june|july|"
                       r"august|september|october|november|december|christmas|easter")
_SENTENCE_END = re.compile(r"(?:^|[.?!:;\"]\s*|\n)\s*$")


def _result(kind: str, start: int, end: int, score: float, name: str) -> RecognizerResult:
    return RecognizerResult(entity_type=kind, start=start, end=end, score=score,
                            recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: name})


def _starts_sentence(text: str, start: int) -> bool:
    return _SENTENCE_END.search(text[:start]) is not None


def _strip_possessive(word: str) -> str:
    return re.sub(r"['\u2019]s$", "", word.lower())


def _could_be_name(word: str, never: frozenset[str]) -> bool:
    """Not an everyday word and not a contraction ("hadn't", "she'll"); O'Neill and Leah's pass."""
    if re.search(r"n['\u2019]t$|['\u2019](?:ll|re|ve|d|m)$", word.lower()):
        return False
    return _strip_possessive(word) not in never


def _surname_end(doc, tok) -> int:
    """End of a name that starts at `tok`, taking in a capitalised surname that follows it."""
    end = tok.idx + len(tok)
    nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
    if nxt is not None and nxt.is_title and nxt.pos_ == "PROPN" and not nxt.is_sent_start:
        end = nxt.idx + len(nxt)
    return end


class RegexRecognizer(LocalRecognizer):
    """Every pattern of patterns.py; the span is the pattern's `group`."""

    KINDS = ["PERSON", "CITY", "PLACE", "ORG", "DATE", "AGE", "PHONE", "EMAIL", "ADDRESS", "ID", "URL"]

    def __init__(self, config: DeidConfig, specs: list[RegexSpec] | None = None):
        self.config = config
        self.specs = specs if specs is not None else build_specs()
        super().__init__(supported_entities=self.KINDS, name="rupture-patterns")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None):
        out = []
        common = self.config.lexicon.common_words
        for spec in self.specs:
            for m in spec.regex.finditer(text):
                if spec.check and not spec.check(m):
                    continue
                start, end = m.span(spec.group)
                if start < 0 or end <= start:
                    continue
                if spec.name_word and not _could_be_name(text[start:end], common | self.config.not_identifiers):
                    continue
                out.append(_result(spec.kind, start, end, spec.score, spec.name))
        return out


def _phrase_regex(phrases: Iterable[str]) -> re.Pattern | None:
    items = sorted({p for p in phrases if p}, key=len, reverse=True)
    if not items:
        return None
    alts = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in items)
    return re.compile(rf"(?<![\w'\-])(?:{alts})(?![\w\-]|'[a-rt-z])", re.IGNORECASE)


class LexiconRecognizer(LocalRecognizer):
    """Listed first names, places and organisations, and names after a cue word, in any case."""

    KINDS = ["PERSON", "CITY", "PLACE", "ORG"]

    def __init__(self, config: DeidConfig):
        self.config = config
        lex = config.lexicon
        self.places = _phrase_regex(lex.cities | lex.regions)
        self.orgs = _phrase_regex(lex.organisations)
        self._not_identifier_words = {w for phrase in config.not_identifiers for w in phrase.split()}
        super().__init__(supported_entities=self.KINDS, name="rupture-lexicon")

    def load(self) -> None:
        pass

    def _gazetteer(self, text: str, regex: re.Pattern | None, kind_of) -> list[RecognizerResult]:
        out = []
        if regex is None:
            return out
        lex = self.config.lexicon
        for m in regex.finditer(text):
            word = m.group(0)
            low = re.sub(r"\s+", " ", word.lower())
            if low in lex.ambiguous:
                # "Reading" after "in", or mid-sentence with a capital, is the town; "reading" is not.
                before = text[:m.start()].split()
                cued = bool(before) and before[-1].lower() in self.config.place_prepositions
                if not word[:1].isupper() or (_starts_sentence(text, m.start()) and not cued):
                    continue
            out.append(_result(kind_of(low), m.start(), m.end(), 0.6, "rupture-gazetteer"))
        return out

    def _names(self, doc) -> list[RecognizerResult]:
        lex, cfg = self.config.lexicon, self.config
        out = []
        for tok in doc:
            low = tok.lower_
            if low in lex.first_names and low not in cfg.not_identifiers:
                if tok.is_title or (tok.is_upper and len(tok) > 2):
                    if low in lex.ambiguous and (tok.is_sent_start or tok.i == 0):
                        continue
                    out.append(_result("PERSON", tok.idx, _surname_end(doc, tok), 0.6, "rupture-first-names"))
                    continue
                if tok.is_lower and low not in lex.ambiguous:
                    out.append(_result("PERSON", tok.idx, tok.idx + len(tok), 0.55, "rupture-first-names"))
                    continue
            cue = low in cfg.relations or low in cfg.naming_verbs
            if low == "law" and (tok.i < 2 or doc[tok.i - 2].lower_ != "in"):
                cue = False
            if not cue:
                continue
            j = tok.i + 1
            while j < len(doc) and doc[j].lower_ in _FILLERS:
                j += 1
            if j >= len(doc):
                continue
            cand = doc[j]
            word = _strip_possessive(cand.text)
            if not cand.is_alpha and not re.fullmatch(r"[A-Za-z][A-Za-z'\u2019\-]+", cand.text):
                continue
            if word in lex.common_words or word in cfg.not_identifiers or word in cfg.relations or \
                    word.rstrip('.') in _TITLE_WORDS:  # "my landlord mister patel": the title rule takes the name
                continue
            listed = word in lex.first_names
            if low in cfg.naming_verbs and not (listed or cand.is_title or cand.pos_ == "PROPN"):
                continue
            if not listed and cand.pos_ in _NOT_NAME_POS:
                # The tagger often calls an unfamiliar lower-case name a verb or adverb ("the work coach
                # olumide said"); a word with a verb or adverb ending is taken to be one.
                if cand.pos_ not in ("VERB", "ADV") or re.search(r"(?:ed|ing|ly|s)$", word):
                    continue
            out.append(_result("PERSON", cand.idx, _surname_end(doc, cand), 0.7, "rupture-name-cues"))
        out += self._proper_nouns(doc)
        return out

    def _proper_nouns(self, doc) -> list[RecognizerResult]:
        """Last resort for clean text: a capitalised proper noun inside a sentence that nothing else explains
        is most likely a name or a place ("That Tobias hit another boy"). Low score: any better finding wins."""
        lex = self.config.lexicon
        out = []
        for tok in doc:
            low = tok.lower_
            if tok.pos_ != "PROPN" or not tok.is_title or not tok.is_alpha or tok.is_sent_start or tok.i == 0 \
                    or len(tok) < 3:
                continue
            if low in lex.common_words or low in self._not_identifier_words or _CALENDAR.fullmatch(low):
                continue
            if tok.i > 0 and doc[tok.i - 1].text in ("\"", "\u201c"):
                continue
            out.append(_result("PERSON", tok.idx, tok.idx + len(tok), 0.45, "fallback-proper-nouns"))
        return out

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None):
        lex = self.config.lexicon
        out = self._gazetteer(text, self.places, lambda low: "PLACE" if low in lex.regions else "CITY")
        out += self._gazetteer(text, self.orgs, lambda low: "ORG")
        if nlp_artifacts is not None and nlp_artifacts.tokens is not None:
            out += self._names(nlp_artifacts.tokens)
        return out


class KnownNameRecognizer(LocalRecognizer):
    """Names known for this excerpt, wherever they occur and in any case: the speakers' own names (from
    their labels: CLIENT, THERAPIST) and the names already found elsewhere in the excerpt (PERSON)."""

    KINDS = ["CLIENT", "THERAPIST", "PERSON"]

    def __init__(self, names: dict[str, str], capital_only: frozenset[str], score: float = 0.99,
                 name: str = "rupture-known-names"):
        # names: lower-case name word -> kind; capital_only: words that are names only with a capital
        self.names = names
        self.capital_only = capital_only
        self.score = score
        self.regex = _phrase_regex(names)
        super().__init__(supported_entities=self.KINDS, name=name)

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None):
        out = []
        if self.regex is None:
            return out
        for m in self.regex.finditer(text):
            low = re.sub(r"\s+", " ", m.group(0).lower())
            if low in self.capital_only and not m.group(0)[:1].isupper():
                continue  # a client called Will: "will" in lower case is the verb
            out.append(_result(self.names[low], m.start(), m.end(), self.score, self.name))
        return out

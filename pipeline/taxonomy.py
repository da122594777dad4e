"""The rupture taxonomy, loaded from configuration (configs/taxonomy/*.yaml), never hard-coded."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import UserError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
DEFAULT_TAXONOMY = CONFIG_DIR / "taxonomy" / "3rs-2015.yaml"
NONE = "none"


@dataclass(frozen=True)
class Taxonomy:
    name: str
    families: tuple[str, ...]  # rupture families, without "none"
    subtypes: tuple[str, ...]
    subtype_family: dict[str, str]
    subtype_info: dict[str, dict[str, str]]
    strategies: tuple[str, ...]  # without "none"
    strategy_info: dict[str, dict[str, str]]

    @property
    def family_labels(self) -> tuple[str, ...]:
        return (NONE, *self.families)

    @property
    def strategy_labels(self) -> tuple[str, ...]:
        return (NONE, *self.strategies)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "families": {f: {s: self.subtype_info[s] for s in self.subtypes if self.subtype_family[s] == f}
                         for f in self.families},
            "strategies": dict(self.strategy_info),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Taxonomy":
        try:
            families = tuple(data["families"])
            subtypes, subtype_family, info = [], {}, {}
            for fam, codes in data["families"].items():
                for code, meta in codes.items():
                    subtypes.append(code)
                    subtype_family[code] = fam
                    info[code] = dict(meta or {})
            strategies = data.get("strategies") or {}
            return cls(name=data.get("name", "custom"), families=families, subtypes=tuple(subtypes),
                       subtype_family=subtype_family, subtype_info=info, strategies=tuple(strategies),
                       strategy_info={k: dict(v or {}) for k, v in strategies.items()})
        except (KeyError, TypeError, AttributeError) as err:
            raise UserError(f"taxonomy is malformed ({err}); see configs/taxonomy/3rs-2015.yaml") from None


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    path = Path(path) if path else DEFAULT_TAXONOMY
    if not path.exists():
        raise UserError(f"{path}: taxonomy file not found")
    with open(path, encoding="utf-8") as fh:
        return Taxonomy.from_dict(yaml.safe_load(fh))

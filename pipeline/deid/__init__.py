"""De-identification of transcript excerpts: Presidio (offline spaCy pipeline) plus the project's own
recognisers, with consistent placeholders within an excerpt. Configured by configs/deid.yaml.

Importing this package is light; Presidio and spaCy load on first use.
"""
from __future__ import annotations

from .config import DeidConfig, load_deid_config
from .engine import NOTICE_DEID, NOTICE_RAW, Deidentifier, Scrubber, default_deidentifier
from .placeholders import pseudonym

__all__ = ["DeidConfig", "Deidentifier", "NOTICE_DEID", "NOTICE_RAW", "Scrubber", "default_deidentifier",
           "load_deid_config", "pseudonym"]

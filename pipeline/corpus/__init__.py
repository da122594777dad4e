"""The rupture-coded corpus: schema, validation, loading (Hugging Face datasets), building, checks."""
from .schema import ItemProblem, load_items, load_sessions, load_turn_dataset, split_of, validate_item

__all__ = ["ItemProblem", "load_items", "load_sessions", "load_turn_dataset", "split_of", "validate_item"]

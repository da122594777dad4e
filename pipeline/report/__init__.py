"""Writers for annotation documents: JSON (schema-versioned), CSV, self-contained HTML."""

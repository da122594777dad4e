"""Exports for other tools: Label Studio tasks (with the round trip back into reviews) and ELAN .eaf files.
De-identified unless the user turns it off explicitly (`--no-deid`)."""

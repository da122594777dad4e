"""Supervisor review: a SQLite database of sessions, model moments and reviewers' decisions
(`pipeline.review.db.ReviewDB`), a local web app over it (`pipeline.review.app`), and the
export of decisions as training items (`pipeline.review.export`). See docs/review.md.

Kept empty of imports so that `rupture --help` stays fast.
"""

"""Pacing benchmark: a discrete-event simulator of a campaign, baselines, an upper reference, and the
figures of issue #6. Run ``python -m bench.pacing --help``."""

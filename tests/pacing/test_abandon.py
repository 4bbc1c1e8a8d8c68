from __future__ import annotations

import pytest

from fs_app.pacing.abandon import (
    AnsweredBy,
    CallRecord,
    abandon_counts,
    abandon_report,
    is_abandoned,
    rolling_rates,
)


def rec(answered: float | None, connected: float | None, by: AnsweredBy = AnsweredBy.HUMAN,
        campaign: str = "c1") -> CallRecord:
    return CallRecord(campaign_id=campaign, answered_by=by, answered_at=answered, connected_at=connected)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (rec(100.0, 101.9), False),
        (rec(100.0, 102.0), False),
        (rec(100.0, 102.1), True),  # connected late still counts
        (rec(100.0, None), True),  # hung up before an operator
        (rec(None, None, AnsweredBy.NOBODY), False),
        (rec(100.0, None, AnsweredBy.MACHINE), False),
        (rec(100.0, None, AnsweredBy.AMD_MACHINE), False),
    ],
)
def test_is_abandoned(record: CallRecord, expected: bool) -> None:
    assert is_abandoned(record) is expected


def test_grace_is_configurable() -> None:
    assert is_abandoned(rec(0.0, 3.0), grace_s=2.0)
    assert not is_abandoned(rec(0.0, 3.0), grace_s=5.0)


def test_counts_per_campaign_window_and_amd_estimate() -> None:
    records = [
        rec(10.0, 10.5),
        rec(20.0, None),
        rec(30.0, 40.0, campaign="c2"),
        rec(5000.0, None),  # outside the window
        rec(25.0, None, AnsweredBy.AMD_MACHINE),
        rec(26.0, None, AnsweredBy.AMD_MACHINE),
    ]
    counts = abandon_counts(records, since=0.0, until=1000.0, amd_false_positive_share=0.25)
    assert counts["c1"].live == pytest.approx(2.5)
    assert counts["c1"].abandoned == pytest.approx(1.5)
    assert counts["c1"].rate == pytest.approx(0.6)
    assert counts["c2"].live == 1 and counts["c2"].abandoned == 1


def test_report_has_24h_and_30d() -> None:
    day = 86_400.0
    records = [rec(1.0, None), rec(2 * day, 2 * day + 1)]
    report = abandon_report(records, now=2 * day + 10)
    assert report["c1"].last_24h.live == 1 and report["c1"].last_24h.abandoned == 0
    assert report["c1"].last_30d.live == 2 and report["c1"].last_30d.abandoned == 1


def test_rolling_rates_slide() -> None:
    times = [1.0, 2.0, 11.0, 12.0]
    flags = [True, False, False, False]
    windows = rolling_rates(times, flags, window_s=10.0, step_s=5.0, start=0.0, end=20.0)
    assert [(w.live, w.abandoned) for w in windows] == [(2, 1), (2, 0), (2, 0)]

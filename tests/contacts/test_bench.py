"""The benchmarks run end to end on small sizes (their figures are not asserted here)."""

from __future__ import annotations

from bench.dnc.__main__ import run as run_dnc
from bench.import_contacts.__main__ import run as run_import


async def test_import_benchmark_smoke() -> None:
    out = await run_import(2000)
    assert out["rows"] == 2000 and out["tz_phones"] == 4000 and out["export_rows"] == 2000
    assert {"rows_per_s", "copy_rows_per_s", "ratio", "seconds", "peak_rss_mb", "schema_copy_ratio"} <= set(out)
    # the floor holds what the import wrote: both phone columns of every row
    assert out["schema_copy_seconds"] > 0 and out["schema_copy_phones_seconds"] > 0


async def test_dnc_benchmark_smoke() -> None:
    out = await run_dnc(20_000, 100, 5)
    assert out["lookups"] == 500 and 200 <= out["hits"] <= 300

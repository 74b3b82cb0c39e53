"""Value formatting against the values Grafana's own valueFormats tests and docs give."""

from __future__ import annotations

import math
import time

import pytest

from mlmon.preview import units


@pytest.mark.parametrize(
    ("unit", "decimals", "value", "expected"),
    [
        # Grafana's valueFormats tests ("Typical")
        ("ms", 4, 0.0024, "0.0024 ms"),
        ("ms", 0, 100, "100 ms"),
        ("ms", 2, 1250, "1.25 s"),
        ("ms", 1, 10000086.123, "2.8 hour"),
        ("ms", 0, 1200, "1 s"),
        ("decbytes", 3, 10000000 * 1000, "10.000 GB"),
        # The units mlmon emits, with Grafana's automatic decimals
        ("percentunit", None, 0.953, "95.3%"),
        ("percentunit", None, 0.9, "90%"),
        ("percentunit", 1, 0.5, "50.0%"),
        ("s", None, 0.1234, "123 ms"),
        ("s", None, 0.0004, "400 µs"),
        ("s", None, 0, "0 s"),
        ("s", None, 1.5, "1.50 s"),
        ("s", None, 90, "1.50 min"),
        ("s", None, 7200, "2 hour"),
        ("bytes", None, 1536, "1.50 KiB"),
        ("bytes", None, 137216, "134 KiB"),
        ("bytes", None, 3 * 1024**2, "3 MiB"),
        ("short", None, 1000000, "1 Mil"),
        ("short", None, 1500, "1.50 K"),
        ("short", None, 42, "42"),
        ("short", 0, 98765, "99 K"),
        ("none", None, 3000, "3000"),
        ("none", None, 0.0409, "0.0409"),
        ("reqps", 2, 40.17, "40.17 req/s"),
        ("reqps", None, 1500, "1.50K req/s"),
        ("ops", None, 0.5, "0.500 ops"),
        ("Bps", None, 2500, "2.50 kB/s"),
    ],
)
def test_format_value_matches_grafana(unit, decimals, value, expected):
    assert units.format_value(value, unit, decimals) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (100, None, "100"),
        (100.4, None, "100"),
        (100.5, None, "101"),  # JavaScript rounds halves up
        (100, 1, "100.0"),
        (100.37, 1, "100.4"),
        (100.63, 1, "100.6"),
        (100.4, 2, "100.40"),
        (100.5, 2, "100.50"),
        (186.123, -2, "186"),  # negative decimals count as zero
    ],
)
def test_to_fixed_matches_grafana(value, decimals, expected):
    assert units.to_fixed(value, decimals) == expected


def test_non_numbers_are_shown_as_grafana_shows_them():
    assert units.to_fixed(math.nan) == "NaN"
    assert units.format_value(math.inf, "short") == "∞"
    assert (
        units.format_value(-math.inf, "s") == "-∞ year"
    )  # Grafana's toSeconds falls through to years
    assert units.format_value(None, "s") == ""


def test_date_time_from_now_reads_epoch_milliseconds_as_moment_does():
    now = time.time()
    assert units.format_value((now - 7 * 86400) * 1000, "dateTimeFromNow") == "7 days ago"
    assert units.format_value((now - 120) * 1000, "dateTimeFromNow") == "2 minutes ago"
    assert units.format_value((now - 10) * 1000, "dateTimeFromNow") == "a few seconds ago"
    assert units.format_value((now + 3 * 3600) * 1000, "dateTimeFromNow") == "in 3 hours"
    # A timestamp in *seconds* is read as milliseconds, as Grafana does: the panel must multiply by 1000.
    assert units.format_value(now, "dateTimeFromNow").endswith("years ago")


def test_unknown_units_are_a_suffix_as_in_grafana():
    assert units.format_value(3, "widgets") == "3 widgets"
    assert units.format_value(3, "suffix: rows") == "3 rows"
    assert not units.is_known("widgets") and units.is_known("percentunit")


def test_axis_labels_use_as_few_decimals_as_keep_ticks_apart():
    assert units.axis_labels([0, 0.25, 0.5, 0.75, 1], "percentunit", None) == [
        "0%",
        "25%",
        "50%",
        "75%",
        "100%",
    ]
    assert units.axis_labels([0, 0.5, 1, 1.5], "none", None) == ["0.0", "0.5", "1.0", "1.5"]
    assert units.axis_labels([0.005, 0.01], "s", None) == ["5 ms", "10 ms"]

"""Threshold and value-mapping colour choice, as Grafana's docs describe them."""

from __future__ import annotations

import math

import pytest

from mlmon.preview import colors
from mlmon.preview.fields import FieldConfig

DRIFT_PVALUE = {
    "mode": "absolute",
    "steps": [{"color": "red", "value": None}, {"color": "green", "value": 0.05}],
}
TRAFFIC_LIGHT = {
    "mode": "absolute",
    "steps": [
        {"color": "green", "value": None},
        {"color": "orange", "value": 0.01},
        {"color": "red", "value": 0.05},
    ],
}


def field_config(**defaults) -> FieldConfig:
    return FieldConfig.of({"fieldConfig": {"defaults": defaults}})


def test_named_colours_are_the_dark_theme_palette():
    assert colors.resolve("green") == "#73BF69"
    assert colors.resolve("red") == "#F2495C"
    assert colors.resolve("orange") == "#FF9830"
    assert colors.resolve("semi-dark-red") == "#E02F44"
    assert colors.resolve("#123456") == "#123456"
    assert colors.resolve("rgb(1, 2, 3)") == "rgb(1, 2, 3)"
    assert colors.palette_color(0) == colors.resolve("green") and colors.palette_color(
        1
    ) == colors.resolve("yellow")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-5, "green"),
        (0, "green"),
        (0.0099, "green"),
        (0.01, "orange"),
        (0.049, "orange"),
        (0.05, "red"),
        (3, "red"),
    ],
)
def test_a_threshold_colours_values_from_its_own_value_upwards(value, expected):
    # Grafana: "the base value is negative infinity"; a step applies from its value (inclusive).
    f = field_config(thresholds=TRAFFIC_LIGHT)
    assert f.display(value).color == colors.resolve(expected)


def test_p_values_below_the_significance_level_are_red():
    f = field_config(thresholds=DRIFT_PVALUE, unit="none")
    assert f.display(0.0409).color == colors.resolve("red")
    assert f.display(0.05).color == colors.resolve("green")
    assert f.display(0.43).text == "0.430"


def test_percentage_thresholds_are_relative_to_min_and_max():
    steps = {
        "mode": "percentage",
        "steps": [{"color": "green", "value": None}, {"color": "red", "value": 80}],
    }
    f = field_config(thresholds=steps, min=0, max=200)
    assert f.display(150).color == colors.resolve("green")  # 75 %
    assert f.display(160).color == colors.resolve("red")  # 80 %


def test_grafanas_default_thresholds_are_green_then_red_from_80():
    f = field_config()
    assert f.display(79).color == colors.resolve("green") and f.display(80).color == colors.resolve(
        "red"
    )


def test_a_value_mapping_gives_text_and_colour_and_wins_over_thresholds():
    mappings = [
        {
            "type": "value",
            "options": {
                "0": {"text": "No drift", "color": "green"},
                "1": {"text": "Drift", "color": "red"},
            },
        }
    ]
    f = field_config(thresholds={"steps": [{"color": "blue", "value": None}]}, mappings=mappings)
    assert (f.display(1.0).text, f.display(1.0).color) == ("Drift", colors.resolve("red"))
    assert (f.display(0.0).text, f.display(0.0).color) == ("No drift", colors.resolve("green"))
    # Unmapped values keep the unit formatting and the threshold colour.
    assert (f.display(2.0).text, f.display(2.0).color) == ("2", colors.resolve("blue"))


def test_mapping_without_colour_keeps_the_threshold_colour():
    mappings = [{"type": "value", "options": {"1": {"text": "Up"}}}]
    f = field_config(thresholds=TRAFFIC_LIGHT, mappings=mappings)
    assert (f.display(1.0).text, f.display(1.0).color) == ("Up", colors.resolve("red"))


def test_range_regex_and_special_mappings_in_order():
    mappings = [
        {
            "type": "special",
            "options": {"match": "null", "result": {"text": "N/A", "color": "purple"}},
        },
        {"type": "range", "options": {"from": 0, "to": 0.5, "result": {"text": "low"}}},
        {"type": "regex", "options": {"pattern": "/^9/", "result": {"text": "nines"}}},
        {"type": "special", "options": {"match": "nan", "result": {"text": "not a number"}}},
    ]
    f = field_config(mappings=mappings)
    assert f.display(None).text == "N/A" and f.display(None).color == colors.resolve("purple")
    assert f.display(0.5).text == "low"  # range ends are inclusive
    assert f.display(0.51).text == "0.510"
    assert f.display(99.0).text == "nines"
    assert colors.map_value(math.nan, mappings).text == "not a number"


def test_string_cells_take_the_base_threshold_colour():
    # Grafana's display processor colours a non-numeric value with the base step.
    f = field_config(thresholds=DRIFT_PVALUE)
    assert f.display("house_price").color == colors.resolve("red")
    assert f.display("house_price").text == "house_price"

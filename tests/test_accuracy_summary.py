"""The cycle summary's forecast verdict: per level, where LightGBM beats seasonal naive and where it loses."""

import pandas as pd

from sop.stages.accuracy_summary import level_lines


def _rows(level, key_values, lightgbm, seasonal, croston, series_wape=None):
    rows = []
    for keys, *wapes in zip(key_values, lightgbm, seasonal, croston, strict=True):
        for model, wape in zip(("lightgbm", "seasonal_naive", "croston"), wapes, strict=True):
            row = {"aggregation_level": level, "model_name": model, "wape": wape, **keys}
            if series_wape is not None:
                row["series_wape"] = series_wape[model]
            rows.append(row)
    return rows


def test_each_level_names_the_groups_lightgbm_wins_and_loses_against_seasonal_naive():
    families = [{"family_id": f} for f in ("A", "B", "C")]
    series = [{"sku_id": f"S{i}", "location_id": "L"} for i in range(8)]
    frame = pd.DataFrame(
        _rows("family", families, [0.1, 0.3, 0.2], [0.2, 0.25, 0.2], [0.5, 0.5, 0.5])
        + _rows("sku_location", series, [0.1] * 5 + [0.9] * 3, [0.5] * 8, [0.4] * 8)
        + _rows(
            "total",
            [{}],
            [0.05],
            [0.07],
            [0.06],
            series_wape={"lightgbm": 0.3, "seasonal_naive": 0.5, "croston": 0.4},
        )
    )
    series_line, family_line, total_line = level_lines(frame)
    assert "better than seasonal naive on 5 of 8 series" in series_line and "worse on 3" in series_line
    assert "LightGBM 0.300 vs seasonal naive 0.500 (best baseline croston 0.400)" in series_line
    # a tie (C) is neither a win nor a loss
    assert "better than seasonal naive on 1 of 3 families (A), worse on 1 (B)" in family_line
    assert total_line == "  total: LightGBM 0.050 vs seasonal naive 0.070 (best baseline croston 0.060)"


def test_many_groups_are_counted_not_listed():
    families = [{"family_id": f"F{i}"} for i in range(10)]
    frame = pd.DataFrame(_rows("family", families, [0.1] * 10, [0.2] * 10, [0.3] * 10))
    (line,) = level_lines(frame)
    assert line == "  family: LightGBM better than seasonal naive on 10 of 10 families, worse on 0"

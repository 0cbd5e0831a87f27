"""Undefined figures (a ratio of nothing) read "—" in the tables on screen, never Streamlit's grey "None"; the
CSV and Excel downloads keep an empty cell."""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.analytics import funnel as fu
from core.analytics.overview import Filters
from dashboard.table_view import EMPTY, number_text, percent_text, with_empty_text
from tests.signin import sign_in

ROOT = Path(__file__).resolve().parents[2]
NAN = float("nan")


def test_percent_and_number_text_read_as_streamlit_shows_them():
    assert [percent_text(v) for v in (0.8, 0.1234, 1 / 3, -0.05, 0.0, 1.0)] == [
        "80%",
        "12.34%",
        "33.33%",
        "-5%",
        "0%",
        "100%",
    ]
    assert [number_text(v) for v in (3.0, 2.5, 1 / 3, 1234.0, -0.5)] == ["3", "2.5", "0.3333", "1234", "-0.5"]


def test_only_columns_with_an_empty_figure_become_text():
    frame = pd.DataFrame(
        {
            "stage": ["lead", "visit"],
            "n": [5, 4],
            "rate": [NAN, 0.8],
            "full_rate": [1.0, 0.8],
            "days": [NAN, 2.5],
            "spend": [NAN, 10.0],
            "flag": [True, False],
        }
    )
    shown, made_text = with_empty_text(frame, {"rate": percent_text}, {"spend": "费用缺失"})
    assert made_text == ["rate", "days", "spend"]
    assert shown["rate"].tolist() == [EMPTY, "80%"] and EMPTY == "—"
    assert shown["days"].tolist() == ["—", "2.5"]
    assert shown["spend"].tolist() == ["费用缺失", "10"]
    # the others stay numbers (they sort, and keep the column's format); the input is not changed
    pd.testing.assert_frame_equal(
        shown[["stage", "n", "full_rate", "flag"]], frame[["stage", "n", "full_rate", "flag"]]
    )
    assert np.isnan(frame["rate"].iloc[0])


def _analysis_table_app():
    import numpy as np
    import pandas as pd

    from dashboard.analysis_views import table

    table(
        pd.DataFrame(
            {
                "channel": ["a", "b"],
                "leads": [0, 3],
                "share": [np.nan, 0.25],
                "cost": [np.nan, 1234.5],
                "spend": [np.nan, 100.0],
                "deals": [np.nan, 1.0],
            }
        ),
        "t",
        percent=("share",),
        money=("cost", "spend"),
        missing=("spend",),
        missing_text="费用缺失",
    )


def test_the_region_and_channel_tables_show_a_dash_for_an_undefined_figure():
    at = AppTest.from_function(_analysis_table_app).run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert shown["share"].tolist() == ["—", "25.0%"]
    assert shown["cost"].tolist() == ["—", "1,234.50"]
    assert shown["spend"].tolist() == ["费用缺失", "100.00"]  # the ROI page's missing spend says so
    assert shown["deals"].tolist() == ["—", "1.0"]
    assert shown["leads"].tolist() == [0, 3]


# ---- the funnel page ----------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


# a short period of one store: the first stage has no step before it, some stages and speed buckets are empty
SHORT = Filters(dt.date(2026, 6, 1), dt.date(2026, 6, 30), store_ids=(2,))


def test_funnel_tables_show_a_dash_and_download_an_empty_cell(demo_db, served):
    at = AppTest.from_file(str(ROOT / "pages" / "funnel.py"), default_timeout=120)
    at.secrets["database_url"] = demo_db.url
    at.session_state["filters"] = SHORT
    at.session_state["lang"] = "zh"
    sign_in(at, demo_db.url, "analyst").run()
    assert not at.exception
    with demo_db.engine.connect() as conn:
        leads = fu.period_leads(conn=conn, filters=SHORT)
    fn = fu.funnel_from_leads(leads)
    speed = fu.first_contact_speed_from_leads(leads)
    assert fn["step_conversion"].isna().sum() >= 2  # the first stage, and a stage after an empty one
    assert speed["conversion"].isna().any()  # a speed bucket without leads

    funnel = at.dataframe[0].value
    step = funnel["环节转化率"].tolist()
    assert step == [EMPTY if pd.isna(v) else percent_text(v) for v in fn["step_conversion"]]
    speed_shown = [d.value for d in at.dataframe if "首次联系用时" in d.value.columns][0]
    assert speed_shown["订车转化率"].tolist() == [
        EMPTY if pd.isna(v) else percent_text(v) for v in speed["conversion"]
    ]
    # no table of the page shows an empty figure ("None" on screen)
    for d in at.dataframe:
        numeric = d.value.select_dtypes("number")
        assert not numeric.isna().any().any(), list(d.value.columns)
        texts = d.value.select_dtypes(exclude="number")
        assert not texts.isna().any().any(), list(d.value.columns)

    csv = served(at, "funnel_table_csv").decode("utf-8-sig").splitlines()
    assert csv[0] == "阶段,线索数,环节转化率,整体转化率,流失数"
    assert csv[1].split(",")[2] == ""  # the first stage's step conversion: an empty cell, no "—"
    assert "—" not in "".join(csv)
    back = pd.read_csv(BytesIO(served(at, "funnel_table_csv")), encoding="utf-8-sig")
    np.testing.assert_allclose(back["环节转化率"].to_numpy(float), fn["step_conversion"].to_numpy(float))
    sheet = openpyxl.load_workbook(BytesIO(served(at, "funnel_table_xlsx"))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[2] for r in rows[1:]] == [
        None if pd.isna(v) else pytest.approx(v) for v in fn["step_conversion"]
    ]

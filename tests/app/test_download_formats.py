"""Downloads say what they hold and format numbers as the pages do (issue 12 item 19): file names carry the
period and the filters; in Excel a percentage is a percentage cell (not 0.3444) and counts have thousands
separators; the follow-up trend's dates are written in the page's language."""

from __future__ import annotations

import io
import json

import openpyxl
import pandas as pd
from streamlit.testing.v1 import AppTest

from core.io import exports
from tests.app.test_app_followup_staff import followup_page


def test_excel_percent_and_thousands_formats():
    frame = pd.DataFrame(
        {"渠道": ["汽车之家"], "线索": [12345], "占比": [0.3444], "金额": [1234.5], "均值": [2.25]}
    )
    book = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(frame, percent=("占比",), money=("金额",))))
    row = next(book.active.iter_rows(min_row=2, max_row=2))
    formats = {book.active.cell(1, c.column).value: c.number_format for c in row}
    assert formats == {
        "渠道": "General",
        "线索": "#,##0",
        "占比": "0.00%",
        "金额": "#,##0.00",
        "均值": "#,##0.00",
    }
    assert [c.value for c in row] == ["汽车之家", 12345, 0.3444, 1234.5, 2.25]  # values stay numbers


def test_download_file_names_carry_period_and_filters():
    def script():
        import datetime as dt

        import streamlit as st

        from core.analytics.overview import Filters
        from dashboard.table_view import file_stem

        st.session_state["filters"] = Filters(dt.date(2026, 6, 1), dt.date(2026, 6, 30), (1, 3), (), (4,))
        st.text(file_stem("channel_roi"))
        st.session_state["filters"] = None
        st.text(file_stem("audit_log"))

    at = AppTest.from_function(script).run()
    assert [x.value for x in at.text] == [
        "channel_roi_2026-06-01_2026-06-30_store-1-3_channel-4",
        "audit_log",
    ]


def test_followup_trend_dates_in_chinese(demo_db):
    at = followup_page(demo_db.url, "manager", "manager")
    specs = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    trend = specs[0]["layout"]["xaxis"]
    assert trend["tickformat"].startswith("%Y年")

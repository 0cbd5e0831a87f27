"""The review page's computations in core: the agenda's filters (filter_items) and the workbook it exports
(summary_frame, export_sheets, export_workbook), each compared with a hand computation on a small agenda."""

from __future__ import annotations

import dataclasses
import datetime as dt
from io import BytesIO

import openpyxl
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from core.workflow import review


def cells(column: pd.Series) -> list:
    """A column's values with every missing value as None (pandas may hold it as None or NaN)."""
    return [None if pd.isna(x) else x for x in column]


# five items of three advisors: 1 and 4 undecided, 2 confirmed, 3 and 5 overridden
AGENDA = pd.DataFrame(
    {
        "id": [1, 2, 3, 4, 5],
        "advisor": ["王* #1", "王* #1", "李* #2", "李* #2", "张* #3"],
        "customer_id": [11, 12, 13, 14, 15],
        "customer_name": ["甲*", "乙*", "丙*", "丁*", "戊*"],
        "old_tier": [None, "普通", "高价值", "普通", "流失风险"],
        "new_tier": ["高价值", "高价值", "普通", "流失风险", "普通"],
        "old_score": [None, 40.04, 80.0, 50.0, 10.0],
        "new_score": [70.0, 61.26, 55.54, 20.0, 45.0],
        "rule": [None, None, "no_purchase_180d", None, None],
        "reasons": [
            [["recency", 12.34]],
            [],
            [["frequency", -20.0], ["recency", -4.45]],
            [],
            [["spend", 35.0]],
        ],
        "decision": [None, "confirmed", "overridden", None, "overridden"],
        "decided_tier": [None, "高价值", "高价值", None, "流失风险"],
        "reason": [None, None, "老客户", None, "投诉"],
        "note": [None, "ok", None, None, None],
        "expires_at": [None, None, dt.datetime(2026, 12, 31, 23, 59, 59), None, None],
        "discussed": [False, True, True, False, False],
        "decided_by": [None, "m", "m", None, "s"],
        "decided_at": [
            None,
            dt.datetime(2026, 12, 1, 10),
            dt.datetime(2026, 12, 1, 11),
            None,
            dt.datetime(2026, 12, 2),
        ],
    },
    index=[10, 11, 12, 13, 14],  # an index that is not 0..n: filtering must keep it
)

# text columns as review.items returns them: object dtype, None where there is nothing
for _col in ("old_tier", "rule", "decision", "decided_tier", "reason", "note", "decided_by"):
    AGENDA[_col] = AGENDA[_col].astype(object).where(AGENDA[_col].notna(), None)

FILTERS = [  # (advisors chosen, status, ids shown)
    pytest.param([], "all", [1, 2, 3, 4, 5], id="nothing-chosen"),
    pytest.param([], "open", [1, 4], id="open"),
    pytest.param([], "decided", [2, 3, 5], id="decided"),
    pytest.param(["王* #1"], "all", [1, 2], id="one-advisor"),
    pytest.param(["王* #1", "张* #3"], "decided", [2, 5], id="two-advisors-decided"),
    pytest.param(["李* #2"], "open", [4], id="advisor-open"),
    pytest.param(["张* #3"], "open", [], id="nothing-left"),
    pytest.param(("李* #2",), "all", [3, 4], id="a-tuple-of-advisors"),
    pytest.param(["nobody #9"], "all", [], id="unknown-advisor"),
]


@pytest.mark.parametrize(("advisors", "status", "ids"), FILTERS)
def test_filter_items_keeps_the_chosen_advisors_and_status(advisors, status, ids):
    shown = review.filter_items(AGENDA, advisors=advisors, status=status)
    assert_frame_equal(shown, AGENDA[AGENDA["id"].isin(ids)])
    assert shown["id"].tolist() == ids


def test_filter_items_refuses_an_unknown_status_and_leaves_its_input_alone():
    before = AGENDA.copy()
    with pytest.raises(ValueError, match="status"):
        review.filter_items(AGENDA, status="undecided")
    review.filter_items(AGENDA, advisors=["王* #1"], status="open")
    assert_frame_equal(AGENDA, before)


MEETING = {
    "id": 7,
    "population": "owners",
    "week_start": dt.date(2026, 11, 30),
    "baseline_at": dt.datetime(2026, 11, 23, 9, 0),
    "cutoff_at": dt.datetime(2026, 11, 30, 9, 30),
    "created_by": "m",
}

SUMMARIES = [  # (meeting changes, agenda rows, expected values)
    pytest.param(
        {},
        [1, 2, 3, 4, 5],
        ["2026-11-30", "owners", "2026-11-23 09:00:00", "2026-11-30 09:30:00", 5, 3, 2],
        id="whole-agenda",
    ),
    pytest.param(
        {"baseline_at": None, "population": "leads"},
        [1, 4],
        ["2026-11-30", "leads", "—", "2026-11-30 09:30:00", 2, 0, 0],
        id="first-meeting-nothing-decided",
    ),
    pytest.param(
        {}, [], ["2026-11-30", "owners", "2026-11-23 09:00:00", "2026-11-30 09:30:00", 0, 0, 0], id="empty"
    ),
]


@pytest.mark.parametrize(("changes", "ids", "values"), SUMMARIES)
def test_summary_frame_counts_the_agenda(changes, ids, values):
    got = review.summary_frame({**MEETING, **changes}, AGENDA[AGENDA["id"].isin(ids)])
    want = pd.DataFrame({"item": list(review.SUMMARY_ROWS), "value": pd.Series(values, dtype=object)})
    assert_frame_equal(got, want)


TEXT = review.ExportText(
    sheet="Changes",
    summary_sheet="Summary",
    headers={c: c.upper() for c in review.EXPORT_COLUMNS},
    item_header="Item",
    value_header="Value",
    summary_rows={c: f"<{c}>" for c in review.SUMMARY_ROWS},
    tier={"高价值": "High", "普通": "Normal", "流失风险": "Churn"}.__getitem__,
    decision=lambda code: f"decision:{code}",
    rule=lambda code: f"rule:{code}",
    population=lambda code: f"pop:{code}",
)


def test_export_sheets_word_the_agenda_and_the_summary():
    sheets = review.export_sheets(MEETING, AGENDA, text=TEXT)
    assert list(sheets) == ["Changes", "Summary"]
    changes = sheets["Changes"]
    assert list(changes.columns) == [c.upper() for c in review.EXPORT_COLUMNS]
    # by hand: tiers and codes read out, blank where there is no tier, ✓ for discussed, scores to 0.1
    assert cells(changes["OLD_TIER"]) == [None, "Normal", "High", "Normal", "Churn"]
    assert changes["NEW_TIER"].tolist() == ["High", "High", "Normal", "Churn", "Normal"]
    assert cells(changes["DECIDED_TIER"]) == [None, "High", "High", None, "Churn"]
    assert changes["DECISION"].tolist() == [
        "",
        "decision:confirmed",
        "decision:overridden",
        "",
        "decision:overridden",
    ]
    assert changes["DISCUSSED"].tolist() == ["", "✓", "✓", "", ""]
    assert changes["RULE"].tolist() == ["", "", "rule:no_purchase_180d", "", ""]
    assert changes["REASONS"].tolist() == [
        "recency +12.3",
        "",
        "frequency -20.0；recency -4.5",
        "",
        "spend +35.0",
    ]
    assert changes["NEW_SCORE"].tolist() == [70.0, 61.3, 55.5, 20.0, 45.0]
    assert changes["CUSTOMER_ID"].tolist() == [11, 12, 13, 14, 15]
    summary = sheets["Summary"]
    assert list(summary.columns) == ["Item", "Value"]
    assert summary["Item"].tolist() == [f"<{c}>" for c in review.SUMMARY_ROWS]
    assert summary["Value"].tolist() == [
        "2026-11-30",
        "pop:owners",
        "2026-11-23 09:00:00",
        "2026-11-30 09:30:00",
        5,
        3,
        2,
    ]


def test_export_sheets_use_the_screens_reasons_wording():
    text = dataclasses.replace(TEXT, reasons=lambda r, o, n: f"{len(r or [])} moved, {o}→{n}")
    reasons = review.export_sheets(MEETING, AGENDA.iloc[1:3], text=text)["Changes"]["REASONS"].tolist()
    assert reasons == ["0 moved, 40.04→61.26", "2 moved, 80.0→55.54"]


def test_export_workbook_opens_with_both_sheets_and_neutralised_text():
    hostile = AGENDA.assign(note=['=HYPERLINK("http://x")', "ok", None, None, None])
    wb = openpyxl.load_workbook(BytesIO(review.export_workbook(MEETING, hostile, text=TEXT)))
    assert wb.sheetnames == ["Changes", "Summary"]
    rows = list(wb["Changes"].values)
    assert rows[0] == tuple(c.upper() for c in review.EXPORT_COLUMNS)
    assert len(rows) == 1 + len(AGENDA)
    note = rows[1][list(review.EXPORT_COLUMNS).index("note")]
    assert not str(note).startswith("=")  # a formula from data is written as text
    assert list(wb["Summary"].values)[1:3] == [("<week>", "2026-11-30"), ("<population>", "pop:owners")]

"""Downloads: personal data masked unless the caller may see it, and no cell a spreadsheet would run."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from core.io import exports


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","click")', '\'=HYPERLINK("http://x","click")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("王小明", "王小明"),
        ("a=b", "a=b"),
    ],
)
def test_formula_like_text_is_neutralised_in_csv_and_excel(value, expected):
    frame = pd.DataFrame({"备注": [value], "n": [-5]})
    back = pd.read_csv(io.BytesIO(exports.csv_bytes(frame)), encoding="utf-8-sig", keep_default_na=False)
    assert back["备注"].tolist() == [expected]
    assert back["n"].tolist() == [-5]  # numbers stay numbers, negative or not
    sheet = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(frame))).active
    assert sheet["A2"].value == expected and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == -5


FRAME = pd.DataFrame(
    {
        "name": ["王小明", "惠州市鑫达实业有限公司", None],
        "phone": ["13812345678", "+86 139-1234-5678", None],
        "birth_date": ["1990-01-01", None, None],
        "region": ["惠城区", "博罗县", "惠阳区"],
    }
)


def test_personal_data_is_masked_by_default():
    back = pd.read_csv(io.BytesIO(exports.csv_bytes(FRAME)), encoding="utf-8-sig", dtype=str)
    assert back["name"].tolist()[:2] == ["王**", "惠州*********"]
    assert back["phone"].tolist()[:2] == ["138****5678", "139****5678"]
    assert back["birth_date"].tolist()[0] == "***"
    assert back["region"].tolist() == ["惠城区", "博罗县", "惠阳区"]
    assert back.iloc[2].isna()[["name", "phone"]].all()  # missing stays missing


def test_whoever_may_see_personal_data_gets_it():
    back = pd.read_csv(io.BytesIO(exports.csv_bytes(FRAME, show_pii=True)), encoding="utf-8-sig", dtype=str)
    # a phone written "+86 …" starts like a formula, so it is neutralised too
    assert back["phone"].tolist()[:2] == ["13812345678", "'+86 139-1234-5678"]
    sheet = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(FRAME, show_pii=True))).active
    assert sheet["A2"].value == "王小明"
    masked = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(FRAME))).active
    assert masked["A2"].value == "王**" and masked["B2"].value == "138****5678"


def test_columns_named_by_the_page_and_explicit_columns():
    shown = pd.DataFrame({"姓名": ["李娜"], "手机号": ["13912345678"], "顾问": ["张伟"]})
    back = pd.read_csv(io.BytesIO(exports.csv_bytes(shown)), encoding="utf-8-sig", dtype=str)
    assert back.iloc[0].tolist() == ["李*", "139****5678", "张伟"]
    back = pd.read_csv(
        io.BytesIO(exports.csv_bytes(shown, pii={"顾问": "name"})), encoding="utf-8-sig", dtype=str
    )
    assert back.iloc[0].tolist() == ["李娜", "13912345678", "张*"]


def test_already_masked_values_are_left_alone():
    shown = pd.DataFrame({"手机号": ["138****5678"]})
    assert exports.mask_pii(shown)["手机号"].tolist() == ["138****5678"]


def test_written_csv_is_masked_too(tmp_path):
    path = tmp_path / "x.csv"
    exports.write_csv(FRAME, path)
    assert "13812345678" not in path.read_text(encoding="utf-8-sig")
    exports.write_csv(FRAME, path, show_pii=True)
    assert "13812345678" in path.read_text(encoding="utf-8-sig")

"""Every page under AppTest on a dealer whose every stored text is hostile (tests/hostile_data.py): each page
runs without an exception, and the Markdown and Plotly figures it sends hold no markup from data unescaped.

The fast check beside the browser test (tests/browser/test_hostile_text_browser.py), which judges what the
Markdown becomes; this one reads what the pages send: Markdown bodies (text, captions, alerts, headings),
metric, tab, expander and button labels, st.table cells, and every string of every Plotly figure.
"""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from core.storage.db import open_database
from tests.app.test_app_auth import APP
from tests.hostile_data import build, registered_pages
from tests.signin import sign_in

pytestmark = pytest.mark.timeout(900)

# data's markup as it would reach the page unescaped: a backslash (Markdown) or an entity (Plotly) defuses it
MARKDOWN_RAW = re.compile(
    r"(?<!\\)\]\(|(?<!\\)!\[|(?<!\\):red\[|(?<!\\)\$x|(?<!\\)\*\*强调|https?://evil|www\.evil|\u202e|(?<!\\)<b>粗"
)
PLOTLY_RAW = re.compile(r"<b>粗|<a href='https://evil|<img src=x|\u202e")


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory) -> tuple[str, dict[str, int]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'hostile.sqlite'}"
    engine = open_database(url)
    try:
        ids = build(engine)
    finally:
        engine.dispose()
    return url, ids


def markdown_texts(at: AppTest) -> list[str]:
    """Every string the page sent that Streamlit renders as Markdown."""
    texts = [
        x.value
        for kind in (
            "markdown",
            "caption",
            "warning",
            "info",
            "error",
            "success",
            "title",
            "header",
            "subheader",
        )
        for x in at.get(kind)
    ]
    texts += [x.label for x in (*at.button, *at.tabs, *at.expander)]
    texts += [part for m in at.metric for part in (m.label, m.value, m.delta)]
    texts += [str(v) for table in at.get("table") for v in table.value.to_numpy().ravel()]
    return [s for s in texts if isinstance(s, str)]


def figure_texts(at: AppTest) -> list[str]:
    """Every string of every Plotly figure the page sent (trace values, names, texts, titles, templates)."""
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            for k, v in node.items():
                if k not in ("template", "customdata"):  # Plotly's theme; click data, drawn only through
                    # a hovertemplate, which the pages build from chart_text
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for chart in at.get("plotly_chart"):
        walk(json.loads(chart.proto.spec))
    return found


PAGES = [
    *registered_pages(),
    ("customer.py", "customer?customer", "manager"),
    ("review.py", "review?print", "manager"),
]


@pytest.mark.parametrize(("file", "address", "role"), PAGES, ids=[a for _f, a, _r in PAGES])
def test_every_page_shows_data_as_text(hostile_url, file, address, role):
    import streamlit as st

    url, ids = hostile_url
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["database_url"] = url
    at.session_state["lang"] = "zh"
    sign_in(at, url, role)
    at.run()
    if address == "customer?customer":
        at.query_params["customer"] = str(ids["customer"])
    if address == "review?print":
        at.query_params.update(print="1", meeting=str(ids["meeting"]), population="owners")
    at.switch_page(f"../pages/{file}").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = markdown_texts(at)
    assert [s[:120] for s in shown if MARKDOWN_RAW.search(s)] == []
    assert [s[:120] for s in figure_texts(at) if PLOTLY_RAW.search(s)] == []

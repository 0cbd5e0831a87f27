"""Display names are read per database: two databases in one server process (tests, or an admin pointing the
app elsewhere) never share one's names (the cached read once had no key at all)."""

from __future__ import annotations

from core.access import auth
from core.storage.db import open_database
from dashboard import review_data as rd


def test_each_database_has_its_own_display_names(tmp_path):
    urls = [f"sqlite:///{tmp_path / f'{n}.sqlite'}" for n in ("a", "b")]
    engines = [open_database(u) for u in urls]
    try:
        auth.create_user(engines[0], name="analyst", role="analyst", password="pw-a-123456", actor="t",
                         display_name="李分析")  # fmt: skip
        auth.create_user(engines[1], name="analyst", role="analyst", password="pw-b-123456", actor="t",
                         display_name="王分析")  # fmt: skip
        got = [rd._display_names(e, e.url.render_as_string()) for e in engines]
    finally:
        for e in engines:
            e.dispose()
    assert got[0]["analyst"] == "李分析" and got[1]["analyst"] == "王分析"

"""The app started the README way answers: demo data into an empty database, then ``streamlit run``.

README: ``pip install -e . && python -m core demo --if-empty && streamlit run dashboard/app.py`` (the package is
already installed here). Plain HTTP, no browser needed.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from .conftest import run_demo

pytestmark = pytest.mark.timeout(180)


def test_app_started_like_the_readme_answers_on_health_and_root(tmp_path: Path, start_app) -> None:
    url = f"sqlite:///{tmp_path / 'readme.sqlite'}"
    run_demo(url, "--customers", "200")
    run_demo(url, "--customers", "200")  # --if-empty: a second start of the README command is harmless
    with start_app(url, tmp_path / "logs") as base:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=10) as resp:
            assert resp.status == 200
            assert resp.read().decode().strip() == "ok"
        with urllib.request.urlopen(f"{base}/", timeout=10) as resp:
            assert resp.status == 200
            page = resp.read().decode("utf-8", "replace")
    assert "<html" in page.lower()

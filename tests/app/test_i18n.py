"""Rules of the UI texts: every key has both languages, and every t("key") in the code exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from dashboard.i18n import TEXT

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*ROOT.glob("dashboard/*.py"), *ROOT.glob("pages/*.py")])


@pytest.mark.parametrize("key", sorted(TEXT))
def test_every_text_has_chinese_and_english(key):
    zh, en = TEXT[key]
    assert zh.strip() and en.strip()
    # the same placeholders in both languages, so formatting never fails in one of them
    assert sorted(re.findall(r"{(\w+)}", zh)) == sorted(re.findall(r"{(\w+)}", en))


def _literal_keys(path: Path) -> list[str]:
    keys = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "t"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            keys.append(node.args[0].value)
    return keys


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_literal_key_exists(path):
    missing = [k for k in _literal_keys(path) if k not in TEXT]
    assert not missing, f"{path.name} uses texts that are not in dashboard/i18n.py: {missing}"


def test_the_scan_finds_the_keys():
    assert "overview.title" in _literal_keys(ROOT / "pages" / "overview.py")

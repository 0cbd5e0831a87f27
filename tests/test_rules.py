"""Rules of the project, stated as tests: the domain layer stays free of Streamlit; personal data is marked."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from core.storage.models import Base, Customer, pii_columns

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core"
CORE_FILES = sorted(CORE.rglob("*.py"))


def imported_modules(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def test_core_files_are_found():
    names = {p.relative_to(CORE).as_posix() for p in CORE_FILES}
    assert {
        "storage/models.py",
        "storage/db.py",
        "scoring/scheme.py",
        "cli/main.py",
        "storage/migrations/env.py",
    } <= names


LINT_IMPORTS = (
    "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
)


def test_the_layering_contract_holds():
    """core's packages import only downwards, without cycles, never streamlit; pages over dashboard over core
    (the contracts in pyproject.toml, checked by import-linter)."""
    import subprocess
    import sys

    root = CORE.parent
    run = subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--config", str(root / "pyproject.toml")],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: p.relative_to(CORE).as_posix())
def test_core_never_imports_streamlit(path):
    modules = imported_modules(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    assert not {m for m in modules if m == "streamlit" or m.startswith("streamlit.")}


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import streamlit as st", True),
        ("from streamlit import cache_data", True),
        ("import streamlit.components.v1", True),
        ("def f():\n    import streamlit\n", True),
        ("importlib.import_module('streamlit')", True),
        ("import streamlit_extras_like_name", False),
        ("import pandas as st", False),
    ],
)
def test_the_import_scan_itself(source, found):
    modules = imported_modules(ast.parse(source))
    assert any(m == "streamlit" or m.startswith("streamlit.") for m in modules) is found


def test_pii_columns_are_exactly_the_personal_ones():
    assert pii_columns() == {
        "advisors": ["name"],
        "customers": ["name", "phone", "gender", "birth_date"],
        "follow_ups": ["note"],
    }


def test_customer_phone_and_name_are_marked():
    assert Customer.__table__.c.phone.info == {"pii": True}
    assert Customer.__table__.c.name.info == {"pii": True}


def test_only_pii_is_flagged_in_column_info():
    # the flag is the only use of column info, and only ever True
    flagged = {(t.name, c.name): c.info for t in Base.metadata.sorted_tables for c in t.columns if c.info}
    assert set(flagged) == {(t, c) for t, cols in pii_columns().items() for c in cols}
    assert all(info == {"pii": True} for info in flagged.values())


def test_every_download_button_has_a_per_session_address():
    """Streamlit serves a download at an address derived from its bytes, MIME type and name; every download
    button passes ``mime=dl.mime(...)`` (dashboard/downloads.py) so its address differs per session."""
    offenders = []
    for folder in ("dashboard", "pages"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "download_button":
                    mime = next((k.value for k in node.keywords if k.arg == "mime"), None)
                    if not (isinstance(mime, ast.Call) and ast.unparse(mime.func) == "dl.mime"):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []

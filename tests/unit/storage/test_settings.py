"""Where the database URL comes from: --db, then DATABASE_URL, then secrets.toml, then the embedded SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.storage import settings
from core.storage.settings import Settings, default_database_url, load_settings

CLI = "sqlite:///from-cli.sqlite"
ENV = "postgresql+psycopg://env@db:5432/crm"
SECRET = "mysql+pymysql://secret@db:3306/crm"
SECRET_SECTION = "mysql+pymysql://section@db:3306/crm"
DEFAULT = f"sqlite:///{settings.PROJECT_ROOT / 'data' / 'dashboard.sqlite'}"

SECRETS_FILES = {
    "none": None,  # no secrets file at all
    "top": f'database_url = "{SECRET}"\n',
    "section": f'[database]\nurl = "{SECRET_SECTION}"\n',
    "both": f'database_url = "{SECRET}"\n\n[database]\nurl = "{SECRET_SECTION}"\n',
    "other": '[auth]\ncookie_secret = "x"\n',  # a secrets file without a database URL
    "empty_url": 'database_url = ""\n',
}


@pytest.fixture
def secrets_file(tmp_path: Path):
    def write(kind: str) -> Path:
        path = tmp_path / ".streamlit" / "secrets.toml"
        text = SECRETS_FILES[kind]
        if text is not None:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.mark.parametrize(
    ("cli_db", "environ", "secrets", "expected"),
    [
        (CLI, {"DATABASE_URL": ENV}, "top", Settings(CLI, "cli")),
        (CLI, {}, "none", Settings(CLI, "cli")),
        (None, {"DATABASE_URL": ENV}, "top", Settings(ENV, "env")),
        (None, {"DATABASE_URL": ENV}, "none", Settings(ENV, "env")),
        (None, {}, "top", Settings(SECRET, "secrets")),
        (None, {}, "section", Settings(SECRET_SECTION, "secrets")),
        (None, {}, "both", Settings(SECRET, "secrets")),
        (None, {"OTHER": "x"}, "other", Settings(DEFAULT, "default")),
        (None, {}, "none", Settings(DEFAULT, "default")),
        # empty values count as not given
        ("", {"DATABASE_URL": ENV}, "none", Settings(ENV, "env")),
        (None, {"DATABASE_URL": ""}, "top", Settings(SECRET, "secrets")),
        (None, {}, "empty_url", Settings(DEFAULT, "default")),
    ],
    ids=[
        "cli-beats-env-and-secrets",
        "cli-alone",
        "env-beats-secrets",
        "env-alone",
        "secrets-database_url",
        "secrets-database-section",
        "secrets-top-level-beats-section",
        "secrets-without-url",
        "nothing-given",
        "empty-cli",
        "empty-env",
        "empty-secret",
    ],
)
def test_precedence(secrets_file, cli_db, environ, secrets, expected):
    assert load_settings(cli_db=cli_db, environ=environ, secrets_path=secrets_file(secrets)) == expected


def test_default_is_sqlite_file_under_data():
    s = load_settings(environ={}, secrets_path=Path("/nonexistent/secrets.toml"))
    assert s == Settings(DEFAULT, "default")
    assert s.is_default_sqlite
    assert default_database_url() == DEFAULT
    assert settings.DEFAULT_SQLITE_PATH == settings.PROJECT_ROOT / "data" / "dashboard.sqlite"


@pytest.mark.parametrize("source", ["cli", "env", "secrets"])
def test_is_default_sqlite_only_for_default(source):
    assert not Settings("sqlite:///x.db", source).is_default_sqlite


def test_reads_process_environment_when_environ_not_given(monkeypatch, secrets_file):
    monkeypatch.setenv("DATABASE_URL", ENV)
    assert load_settings(secrets_path=secrets_file("top")) == Settings(ENV, "env")
    monkeypatch.delenv("DATABASE_URL")
    assert load_settings(secrets_path=secrets_file("top")) == Settings(SECRET, "secrets")


def test_default_secrets_path_is_project_streamlit_folder():
    assert settings.SECRETS_PATH == settings.PROJECT_ROOT / ".streamlit" / "secrets.toml"


def test_built_on_call_not_at_import(monkeypatch, tmp_path):
    # the settings object is made by load_settings each time, so a changed environment is seen
    missing = tmp_path / "none.toml"
    monkeypatch.setenv("DATABASE_URL", "sqlite:///one.db")
    first = load_settings(secrets_path=missing)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///two.db")
    assert (first.database_url, load_settings(secrets_path=missing).database_url) == (
        "sqlite:///one.db",
        "sqlite:///two.db",
    )

"""One settings object for the app and the CLI, built by a function (never at import time).

Precedence of the database URL, first match wins:

1. ``--db URL`` on the command line (``cli_db``);
2. the environment variable ``DATABASE_URL``;
3. ``database_url`` (or ``[database] url``) in ``.streamlit/secrets.toml``;
4. the embedded SQLite file ``data/dashboard.sqlite`` in the project folder.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "dashboard.sqlite"
SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"


@dataclass(frozen=True)
class Settings:
    """Runtime configuration.

    Attributes
    ----------
    database_url : str
        SQLAlchemy URL of the database.
    source : str
        Where the URL came from: ``cli``, ``env``, ``secrets`` or ``default``.
    """

    database_url: str
    source: str

    @property
    def is_default_sqlite(self) -> bool:
        return self.source == "default"


def default_database_url() -> str:
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _url_from_secrets(path: Path) -> str | None:
    if not path.is_file():
        return None
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    url = data.get("database_url")
    if url is None and isinstance(data.get("database"), Mapping):
        url = data["database"].get("url")
    return str(url) if url else None


def load_settings(
    *,
    cli_db: str | None = None,
    environ: Mapping[str, str] | None = None,
    secrets_path: Path | None = None,
) -> Settings:
    """Build the settings from the CLI flag, the environment and the secrets file.

    Examples
    --------
    >>> load_settings(cli_db="sqlite:///x.db", environ={}).source
    'cli'
    >>> load_settings(environ={"DATABASE_URL": "postgresql+psycopg://u@h/db"}).database_url
    'postgresql+psycopg://u@h/db'
    >>> s = load_settings(environ={}, secrets_path=Path("/nonexistent"))
    >>> s.source, s.database_url.endswith("dashboard.sqlite")
    ('default', True)
    """
    env = os.environ if environ is None else environ
    if cli_db:
        return Settings(cli_db, "cli")
    if env.get("DATABASE_URL"):
        return Settings(env["DATABASE_URL"], "env")
    secret = _url_from_secrets(SECRETS_PATH if secrets_path is None else secrets_path)
    if secret:
        return Settings(secret, "secrets")
    return Settings(default_database_url(), "default")

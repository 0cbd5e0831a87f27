"""The database could not be used: one error with a kind a person can act on (bad URL, no driver, unreachable,
login refused, the data key missing or wrong), shared by the engine code and the encryption at rest."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DatabaseError(Exception):
    """The database could not be used. ``kind`` says why, ``tried`` what was tried (password masked).

    kinds: ``bad_url`` (not a database URL), ``driver_missing`` (no driver installed for it),
    ``unreachable`` (server down, wrong host/port, file cannot be opened), ``denied`` (login refused).
    """

    kind: str
    tried: str
    detail: str

    def __str__(self) -> str:
        detail = " ".join(self.detail.split())  # one line: drivers' messages may span several
        return f"{HINTS[self.kind]} Tried: {self.tried}. ({detail})"


HINTS = {
    "bad_url": "The database URL is not valid; use e.g. sqlite:///data/dashboard.sqlite or "
    "postgresql+psycopg://user@host:5432/db.",
    "driver_missing": "No driver is installed for this database; install the project (pip install -e .) "
    "or use postgresql+psycopg:// or mysql+pymysql://.",
    "unreachable": "Cannot connect to the database; check that the server runs and the host, port, "
    "database name or file path are right.",
    "denied": "The database refused the login; check the user name and password.",
    "key_missing": "No data key is configured, so customers' names and phones cannot be read: set "
    "DEALER_DATA_KEY (or data_key in .streamlit/secrets.toml) to the key this database was encrypted with; "
    "`python -m core keys new` prints a new key for a new database.",
    "key_invalid": "DEALER_DATA_KEY (or data_key in .streamlit/secrets.toml) holds something that is not a "
    "data key; `python -m core keys new` prints a valid one.",
    "key_wrong": "The configured data key does not open this database's names and phones: set "
    "DEALER_DATA_KEY to the key it was encrypted with (after a rotation: the new key first, then the old, "
    "comma-separated).",
    "key_unsealed": "The database holds names or phones that are not encrypted; run `python -m core db upgrade` "
    "to encrypt them.",
}

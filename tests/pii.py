"""Tests that read the database with raw SQL see names and phones sealed (core.storage.pii_crypto): open them here."""

from __future__ import annotations

import pandas as pd

from core.storage.pii_crypto import DataKeyError, keyring


def unseal(value: object) -> object:
    """A sealed name or phone opened with the session's key; any other value as it is."""
    if not isinstance(value, str):
        return value
    for column in ("customers.name", "customers.phone"):
        try:
            return keyring().open(value, column)
        except DataKeyError:
            continue
    return value


def unseal_rows(rows) -> list[tuple]:
    return [tuple(unseal(v) for v in row) for row in rows]


def unseal_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.map(unseal)

"""For the doctests of core (tests/conftest.py does the same for tests/): a data key of the session's own,
as names and phones are encrypted at rest, so no doctest reads or creates the developer's local key file."""

import os

from core.storage.pii_crypto import ENV_VAR, new_key_text

os.environ.setdefault(ENV_VAR, new_key_text())

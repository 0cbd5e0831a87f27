"""For every test and doctest: a data key of the session's own (names and phones are encrypted at rest), so
no test reads or creates the developer's local key file. Subprocesses (the CLI, the served app) inherit it."""

import os

from core.pii_crypto import ENV_VAR, new_key_text

os.environ.setdefault(ENV_VAR, new_key_text())

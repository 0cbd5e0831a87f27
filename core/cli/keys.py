"""``python -m core keys ...``: the data key that encrypts customers' names and phones.

``new`` prints a fresh key; ``status`` says which keys sealed how many customers; ``rotate`` re-seals every
customer with the newest key (the first of ``DEALER_DATA_KEY``), all or nothing. How to rotate: README,
"Personal data at rest".
"""

from __future__ import annotations

import argparse
import getpass


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``keys new|status|rotate`` on the CLI's sub-command parsers."""
    keys = subparsers.add_parser("keys", help="the data key of names and phones: new, status, rotate")
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    db = {"metavar": "URL", "default": argparse.SUPPRESS, "help": "database URL (SQLAlchemy form)"}
    actions.add_parser("new", help="print a new random key (for DEALER_DATA_KEY)")
    actions.add_parser("status", help="which configured key sealed how many customers").add_argument(
        "--db", **db
    )
    rotate = actions.add_parser(
        "rotate", help="re-encrypt every customer with the newest key (the first of DEALER_DATA_KEY)"
    )
    rotate.add_argument("--db", **db)


def run(url: str, args: argparse.Namespace) -> int:
    from core.access import data_keys
    from core.storage import pii_crypto
    from core.storage.db import open_database

    if args.keys_command == "new":
        print(pii_crypto.new_key_text())
        return 0
    engine = open_database(url)  # a missing or wrong key is refused here, in words
    ring = pii_crypto.keyring()
    if args.keys_command == "status":
        with engine.connect() as conn:
            usage = pii_crypto.key_usage(conn, ring)
        order = [k.key_id.hex() for k in ring.keys]
        print(f"keys from {ring.source}, newest first: {', '.join(order)}")
        for key, n in sorted(usage.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99):
            print(f"  {key}: {n:,} customers" + ("  (newest)" if key == order[0] else ""))
        return 0
    n = data_keys.rotate(engine, actor=f"cli:{getpass.getuser()}")
    print(
        f"{n:,} customers re-encrypted with key {ring.newest.key_id.hex()}; "
        "the older keys may now be removed from DEALER_DATA_KEY"
    )
    return 0

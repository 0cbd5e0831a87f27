"""``python -m core features export``: every customer's raw dimension values, before normalisation, as CSV.

The file is UTF-8 with a byte-order mark so that Excel opens it with the right encoding; columns are
``customer_id``, then the population's dimensions and its ``flag_*`` trigger inputs (0/1), as defined
in ``docs/dimensions.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from core.storage.models import SCHEME_POPULATIONS  # light import: pandas loads only when the command runs


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``features export`` on the CLI's sub-command parsers."""
    features = subparsers.add_parser("features", help="raw scoring dimensions per customer: export")
    actions = features.add_subparsers(dest="features_command", required=True, metavar="ACTION")
    export = actions.add_parser(
        "export", help="write every customer's raw dimension values (before normalisation) to a CSV file"
    )
    export.add_argument(
        "--population", choices=SCHEME_POPULATIONS, default="owners", help="owners (default) or open leads"
    )
    export.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="compute from events on or before this day (default today)",
    )
    export.add_argument("--out", type=Path, required=True, metavar="FILE.csv", help="CSV file to write")
    export.add_argument(
        "--db", metavar="URL", default=argparse.SUPPRESS, help="database URL (SQLAlchemy form)"
    )


def _reason(exc: BaseException) -> str:
    """The driver's own message (pandas wraps SQLAlchemy's error, which wraps the driver's), on one line."""
    while exc.__cause__ is not None and not hasattr(exc, "orig"):
        exc = exc.__cause__
    return " ".join(str(getattr(exc, "orig", exc)).split())[:300]


def run(url: str, args: argparse.Namespace) -> int:
    """Run ``features export``; returns the exit code (2 with one ``error:`` line on failure)."""
    import pandas as pd

    from core.scoring.feature_inputs import load_feature_inputs
    from core.scoring.features import compute_features, flag_names
    from core.storage.db import mask_url, open_database, schema_revision

    as_of = args.as_of or dt.date.today()
    engine = open_database(url, auto_upgrade=False)  # an export only reads; DatabaseError goes to main
    try:
        if schema_revision(engine) is None:
            print(
                f"error: {mask_url(url)} has no tables yet; run `python -m core db upgrade` "
                "(or `python -m core demo`) first",
                file=sys.stderr,
            )
            return 2
        with engine.connect() as conn:
            inputs = load_feature_inputs(conn=conn)
    except (SQLAlchemyError, pd.errors.DatabaseError) as exc:
        print(f"error: cannot read the tables of {mask_url(url)}: {_reason(exc)}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    features = compute_features(inputs, population=args.population, as_of=as_of)
    flags = flag_names(args.population)
    features[flags] = features[flags].astype(int)
    try:
        features.to_csv(args.out, encoding="utf-8-sig", index_label="customer_id")
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"{len(features):,} rows written to {args.out} ({args.population}, as of {as_of})")
    return 0

"""``python -m core.scoring.lab_worker POPULATION AS_OF|"" OUT``: compute the lab's features in this process and pickle
them to OUT (see ``core.scoring.lab_data._in_worker``). The database URL comes in ``CORE_LAB_WORKER_URL`` (it may hold a
password, so it is kept off the command line)."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import sys

from core.scoring.lab_data import _lab_features


def main(argv: list[str]) -> int:
    population, as_of, out = argv
    url = os.environ["CORE_LAB_WORKER_URL"]
    result = _lab_features(url, None, population, dt.date.fromisoformat(as_of) if as_of else None)
    with open(out, "wb") as fh:
        pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

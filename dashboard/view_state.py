"""The view in the address bar, so a refresh or a copied link opens the same view (after sign-in if needed).

The page is the path (st.navigation). The query holds the language, the shared filters and, on the weekly
review, the meeting; the customer 360 keeps its own ``?customer=``. Example::

    /overview?lang=en&period=2026-06-01..2026-06-30&store=1,3&channel=4
    /review?lang=zh&population=owners&meeting=7

:func:`from_url` sets the language, the filters (through :func:`dashboard.filters.choose`, which owns their
state) and the review's widget keys once per Streamlit session (its first run, before the widgets exist; a
signed-out first run keeps them for after sign-in); :func:`to_url` writes the view back on every run. Values
that do not parse are ignored; ids that are no longer options are dropped by the filters.
"""

from __future__ import annotations

import datetime as dt
import re

import streamlit as st

from dashboard import filters
from dashboard.i18n import LANGUAGES, language

LOADED_KEY = "view_from_url"  # session state: the URL was read in this Streamlit session
LANG_KEY = "lang"
FILTER_PARAMS = tuple(filters.CHOICES)  # store, region, channel: the filters own their state (filters.choose)
# the weekly review's widgets (pages/review.py); its print view reads the same two parameters
POPULATIONS = ("owners", "leads")
POPULATION_KEY = "rv_population"
MEETING_KEY = "rv_meeting_{population}"
REVIEW_PAGE = "review"

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_IDS = 200  # a longer list in a link is not a real selection


def parse_period(text: str | None) -> tuple[dt.date, dt.date] | None:
    """``2026-06-01..2026-06-30`` → the two days; None for anything else (or an end before the start).

    Examples
    --------
    >>> parse_period("2026-06-01..2026-06-30")
    (datetime.date(2026, 6, 1), datetime.date(2026, 6, 30))
    >>> [parse_period(x) for x in ("2026-06-30..2026-06-01", "2026-02-30..2026-03-01", "yesterday", None)]
    [None, None, None, None]
    """
    parts = (text or "").split("..")
    if len(parts) != 2 or not all(_DAY.fullmatch(p) for p in parts):
        return None
    try:
        start, end = (dt.date.fromisoformat(p) for p in parts)
    except ValueError:
        return None
    return (start, end) if start <= end else None


def format_period(start: dt.date, end: dt.date) -> str:
    """The period as the query writes it.

    >>> format_period(dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    '2026-06-01..2026-06-30'
    """
    return f"{start.isoformat()}..{end.isoformat()}"


def parse_ids(text: str | None) -> tuple[int, ...]:
    """``1,3,7`` → (1, 3, 7): positive ids in order, without repeats; () for anything that is not such a list.

    Examples
    --------
    >>> parse_ids("1,3,7"), parse_ids("3,3,1"), parse_ids(""), parse_ids("1,x"), parse_ids("-1"), parse_ids(None)
    ((1, 3, 7), (3, 1), (), (), (), ())
    """
    parts = (text or "").split(",")
    if (
        not text
        or len(parts) > MAX_IDS
        or not all(p.isascii() and p.isdigit() and len(p) < 10 for p in parts)
    ):
        return ()
    ids = tuple(dict.fromkeys(int(p) for p in parts))
    return ids if all(ids) else ()


def format_ids(ids: tuple[int, ...] | list[int]) -> str:
    """Ids as the query writes them.

    >>> format_ids((1, 3)), format_ids(())
    ('1,3', '')
    """
    return ",".join(str(int(i)) for i in ids)


def from_url() -> None:
    """Seed language, period, filters and the review's meeting from the query, once per Streamlit session.

    Call it at the top of the entrypoint, before the widgets whose keys it sets.
    """
    if st.session_state.get(LOADED_KEY):
        return
    st.session_state[LOADED_KEY] = True
    query = st.query_params
    if query.get("lang") in LANGUAGES:
        st.session_state[LANG_KEY] = query["lang"]
    chosen = {param: ids for param in FILTER_PARAMS if (ids := parse_ids(query.get(param)))}
    period = parse_period(query.get("period"))
    if period or chosen:
        filters.choose(period=period, **chosen)  # the sidebar shows them when it is drawn
    population = query.get("population")
    population = population if population in POPULATIONS else POPULATIONS[0]
    if query.get("population") in POPULATIONS:
        st.session_state[POPULATION_KEY] = population
    meeting = parse_ids(query.get("meeting"))
    if len(meeting) == 1:
        st.session_state[MEETING_KEY.format(population=population)] = meeting[0]


def to_url(page: str | None) -> None:
    """Write the view into the query: the language always; with ``page`` (a signed-in run, the page's url path)
    also the period and filters chosen in the sidebar and, on the weekly review, the meeting. Other parameters
    (``customer``, ``print``) are left as they are; a signed-out run changes nothing but the language, so the
    link it was opened with survives the sign-in."""
    want, drop = _wanted(page)
    query = st.query_params
    for param, value in want.items():
        if query.get(param) != value:
            query[param] = value
    for param in drop:
        if param in query:
            del query[param]


def link_params() -> dict[str, str]:
    """The view's query (language, period, filters) for a link to another page, e.g. a customer's 360: the
    page opened by it already holds the view, so it writes no new query (Streamlit would push a history entry
    for that, and the browser's Back button would then stay on the 360), and a new tab keeps the language."""
    return _wanted("")[0]


def _wanted(page: str | None) -> tuple[dict[str, str], set[str]]:
    want: dict[str, str] = {"lang": language()}
    drop: set[str] = set()
    if page is not None:
        chosen = filters.chosen()  # what the user chose (choosing every option stays a choice in the link)
        if chosen["period"]:
            want["period"] = format_period(*chosen["period"])
            for param in FILTER_PARAMS:
                if chosen[param]:
                    want[param] = format_ids(chosen[param])
                else:
                    drop.add(param)
        if page != REVIEW_PAGE:
            drop |= {"population", "meeting"}
        elif st.query_params.get("print") != "1":  # the print view is driven by its own link
            population = st.session_state.get(POPULATION_KEY) or POPULATIONS[0]
            want["population"] = str(population)
            meeting = st.session_state.get(MEETING_KEY.format(population=population))
            if meeting is not None:
                want["meeting"] = str(int(meeting))
            else:
                drop.add("meeting")
    return want, drop

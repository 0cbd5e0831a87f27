"""周会复盘 The weekly tier review: meetings, what changed since the last one, and the decisions taken.

Definitions (shown to users in the page's help texts):

- A *meeting* reviews one population for one week (its Monday). Its *cut-off* is when it was opened; its
  *baseline* is the previous meeting's cut-off, or, before the first meeting, the moment just before the
  population's current assignments were written (the last publish or rescore).
- A *change* is a customer whose computed tier in force at the cut-off differs from the one in force at the
  baseline; a customer who had no tier at the baseline counts as a change (— → tier) when the population had
  assignments then. Customers who left the population are not listed. A tier is *in force* at ``t`` when
  ``effective_from <= t`` and (``effective_to`` is NULL or ``effective_to > t``).
- The *reasons* are the dimensions whose points (weight × normalised value) moved between the assignment in
  force at the baseline and the one in force at the cut-off, largest move first, each computed with its own
  scheme on the data as of the day it was scored (the data's last day when its ``effective_from`` day is
  later, unless the effective day's points are the ones that add up to its stored score), and the trigger
  rule that forced the new tier, if any. Every dimension that moved by 0.05 points or more is listed, so
  the changes add up to the score change (new score − old score).
- The agenda is a snapshot taken when the meeting opens, so progress and the export do not move under the
  people in the room. *Reviewed* = confirmed or overridden.
- *Confirm* accepts the computed tier and clears an active override of the customer (recorded); *override*
  sets a tier by hand with a required reason (``core.workflow.overrides``). Both may be changed later by anyone who
  read the current row: every save names the ``row_version`` it read and fails with ``Conflict`` otherwise.

The package's modules, along the meeting's life: ``changes`` (what changed since the baseline, and why),
``agenda`` (opening a meeting, reading it, its progress and filters), ``decisions`` (confirm, override, mark as
discussed, with optimistic locking) and ``export`` (the workbook). Callers use ``from core.workflow import
review`` and the names below.
"""

from core.workflow.review.agenda import (
    MEETING_ROLES,
    STATUSES,
    filter_items,
    get_meeting,
    items,
    may_open_meeting,
    meetings,
    open_meeting,
    progress,
    week_start,
)
from core.workflow.review.changes import (
    SCORE_MATCH,
    contribution_changes,
    explain_changes,
    tier_changes,
    tiers_at,
)
from core.workflow.review.decisions import confirm_many, decide, mark_discussed
from core.workflow.review.export import (
    EXPORT_COLUMNS,
    SUMMARY_ROWS,
    ExportText,
    export_frame,
    export_sheets,
    export_workbook,
    summary_frame,
    workbook,
)

__all__ = [
    "EXPORT_COLUMNS",
    "MEETING_ROLES",
    "SCORE_MATCH",
    "STATUSES",
    "SUMMARY_ROWS",
    "ExportText",
    "confirm_many",
    "contribution_changes",
    "decide",
    "explain_changes",
    "export_frame",
    "export_sheets",
    "export_workbook",
    "filter_items",
    "get_meeting",
    "items",
    "mark_discussed",
    "may_open_meeting",
    "meetings",
    "open_meeting",
    "progress",
    "summary_frame",
    "tier_changes",
    "tiers_at",
    "week_start",
    "workbook",
]

"""周会复盘 The weekly tier review (definitions in ``core.workflow.review.agenda``): a package, so that the
module can be split along its seams while callers keep ``from core.workflow import review``."""

from core.workflow.review.agenda import *  # noqa: F403

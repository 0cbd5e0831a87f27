"""Analytics: the facts read once per data version and the figures of each analysis page (overview,
funnel, tiers by region, channel ROI, defeats, follow-up). Read-only. Imports core.scoring and below, never
core.workflow.
"""

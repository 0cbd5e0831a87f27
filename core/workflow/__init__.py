"""Workflow: where people act — the weekly review and its overrides, defeat approval, the customer 360.
Imports core.scoring and below, never core.analytics.
"""

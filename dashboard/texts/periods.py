"""Texts of partial months (部分月份), shared by the channel ROI and defeat pages: key → (中文, English)."""

TEXT: dict[str, tuple[str, str]] = {
    "periods.col.coverage": ("月份覆盖", "Month coverage"),
    "periods.whole": ("整月", "whole month"),
    "periods.partial": ("部分月份（{days}/{of} 天）", "partial month ({days} of {of} days)"),
    "periods.days": ("{month}（{days}/{of} 天）", "{month} ({days} of {of} days)"),
    "periods.col.partial_months": ("含部分月份数", "Partial months"),
}

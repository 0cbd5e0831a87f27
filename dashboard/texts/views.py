"""Texts shared by the region and channel analysis pages: key → (中文, English)."""

TEXT: dict[str, tuple[str, str]] = {
    "views.chart": ("图表", "Chart"),
    "views.table": ("表格", "Table"),
    "views.untiered": ("未分级", "Untiered"),
    "views.customers.none": ("这里没有客户。", "No customers here."),
    "views.customers.capped": (
        "共 {n} 位客户，只列出前 {shown} 位（按客户编号）。",
        "{n} customers; the first {shown} (by customer id) are listed.",
    ),
}

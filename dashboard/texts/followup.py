"""Texts of the follow-up discipline page added after its first version (the rest are in review.py):
key → (中文, English)."""

TEXT: dict[str, tuple[str, str]] = {
    "fu.team_average": (
        "以上为你本人的数字。团队平均达标率 {rate}（{leads} 条在跟线索，不列出个人）。",
        "These are your own figures. Team average on-time rate: {rate} ({leads} leads under cadence; no one "
        "is listed).",
    ),
    "fu.mine": ("我的达标率", "My on-time rate"),
    "fu.team": ("团队平均", "Team average"),
}

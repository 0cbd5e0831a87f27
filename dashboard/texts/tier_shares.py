"""Texts of the tier shares (target against actual, by trigger) and the tie-break, on 分级结果 and in the lab:
key → (中文, English)."""

TEXT: dict[str, tuple[str, str]] = {
    "shares.title": ("目标与实际占比", "Target and actual share"),
    "shares.help": (
        "目标占比 = 方案的分界点（按得分排位的各级比例；阈值分级没有目标）。实际占比 = 该级别客户数 ÷ 全部已分级"
        "客户数。触发规则强制 = 因流失预警等触发规则被直接归入该级别的客户（不看得分，所以会把其他级别的客户拉过来，"
        "实际占比因此偏离目标）；按得分 = 其余客户。同分的客户全部归入较高级别，除非方案设置了同分排序。",
        "Target share = the scheme's cut-off (the share of each tier by score rank; threshold tiers have none). "
        "Actual share = the tier's customers ÷ all tiered customers. Forced by a trigger = customers put in the "
        "tier by a trigger rule such as a churn warning, whatever their score (they leave the tier their score "
        "gave them, which is why actual shares differ from the targets); by score = the others. Customers tied "
        "on score all go to the higher tier unless the scheme sets a tie-break.",
    ),
    "shares.scope": (
        "全部 {n} 名已分级客户（分界点按全体客户划分，不受侧边栏筛选影响）。",
        "All {n} tiered customers (cut-offs divide the whole population; the sidebar filters do not apply).",
    ),
    "shares.triggers": (
        "{tier}：{total} 名中 {forced} 名由触发规则强制归入（占全部客户 {share}）。",
        "{tier}: {forced} of {total} forced by trigger rules ({share} of all customers).",
    ),
    "shares.col.target": ("目标占比", "Target share"),
    "shares.col.share": ("实际占比", "Actual share"),
    "shares.col.by_trigger": ("触发规则强制", "Forced by trigger"),
    "shares.col.by_score": ("按得分", "By score"),
    "shares.col.score_share": ("按得分占比（触发前）", "Share by score (before triggers)"),
    "shares.ties_off": (
        "同分使这些级别按得分的占比偏离分界点超过 {tol} 个百分点：{tiers}。同分的客户全部归入较高级别，"
        "所以较低的级别可能几乎为空。在「同分时排序」中选一个维度：同分客户先按该维度、再按客户编号排序，"
        "各级别就会接近分界点。",
        "Ties put these tiers' shares by score more than {tol} percentage points away from their cut-offs: "
        "{tiers}. Customers tied on score all go to the higher tier, so a lower tier can be almost empty. Choose "
        "a dimension under Tie-break: tied customers are then ordered by it, then by customer id, and each tier "
        "comes out near its cut-off.",
    ),
    "shares.tier_off": ("{tier} {share}（目标 {target}）", "{tier} {share} (target {target})"),
    "lab.tie_break": ("同分时排序", "Tie-break"),
    "lab.tie_break.none": (
        "不排序：同分客户全部归入较高级别",
        "None: tied customers all go to the higher tier",
    ),
    "lab.tie_break.dim": ("按「{dim}」，再按客户编号", "By {dim}, then customer id"),
    "lab.tie_break.help": (
        "得分相同的客户落在分界点上时如何划分。默认（不排序）全部归入较高级别，与以前的方案一致；选一个维度后，"
        "同分客户按该维度的标准化值从高到低、再按客户编号从小到大排序，只有分界点容得下的留在较高级别。"
        "随方案一起保存，只用于按比例分级。",
        "How customers tied on score at a cut-off are split. By default (none) they all go to the higher tier, "
        "as schemes always did; with a dimension they are ordered by its normalised value (best first), then by "
        "customer id (smallest first), and only as many as the cut-off allows stay in the higher tier. Saved "
        "with the scheme; used by percentile tiers only.",
    ),
    "problem.tie_break_unknown": (
        "同分排序的维度 {name} 不在方案的维度中。",
        "The tie-break dimension {name} is not one of the scheme's dimensions.",
    ),
}

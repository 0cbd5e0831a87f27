"""Texts of the funnel page: key → (中文, English)."""

TEXT: dict[str, tuple[str, str]] = {
    "funnel.title": ("销售漏斗", "Sales funnel"),
    "funnel.caption": (
        "{start} 至 {end} 新建的 {n} 条线索走到了哪一步；上一期为 {pstart} 至 {pend}。",
        "How far the {n} leads created from {start} to {end} got; the previous period is {pstart} to {pend}.",
    ),
    "funnel.nothing": (
        "当前筛选条件下没有新建线索，请放宽日期范围或门店/区域/渠道筛选。",
        "No leads were created that match these filters; widen the period or the store, region or channel filters.",
    ),
    "funnel.help": (
        "线索“到达”某阶段指其最远阶段不早于该阶段。环节转化率 = 本阶段数 ÷ 上一阶段数；"
        "整体转化率 = 本阶段数 ÷ 线索数；流失 = 上一阶段数 − 本阶段数。",
        "A lead reached a stage when its furthest stage is that one or later. Stage conversion = this stage ÷ the "
        "stage before; overall conversion = this stage ÷ leads; drop-off = the stage before − this stage.",
    ),
    "funnel.section.funnel": ("漏斗", "Funnel"),
    "funnel.section.breakdown": ("分维度转化", "Conversion by group"),
    "funnel.section.compare": ("本期与上一期对比", "This period against the previous one"),
    "funnel.section.durations": ("各阶段停留时间（中位数）", "Median time in each stage"),
    "funnel.section.speed": ("首次联系速度与成交转化", "Speed of first contact against conversion"),
    "funnel.table": ("表格", "Table"),
    "funnel.dimension": ("维度", "Breakdown by"),
    "funnel.dim.channel": ("渠道", "Channel"),
    "funnel.dim.store": ("门店", "Store"),
    "funnel.dim.advisor": ("销售顾问", "Advisor"),
    "funnel.dim.intended_model": ("意向车型", "Intended model"),
    "funnel.dim.region": ("区域", "Region"),
    "funnel.dim.grade": ("意向级别", "Lead grade"),
    "funnel.stage.lead": ("线索", "Lead"),
    "funnel.stage.first_contact": ("首次接触", "First contact"),
    "funnel.stage.needs": ("需求分析", "Needs analysis"),
    "funnel.stage.visit": ("邀约到店", "Store visit"),
    "funnel.stage.test_drive": ("试乘试驾", "Test drive"),
    "funnel.stage.quote": ("报价谈判", "Quote"),
    "funnel.stage.order": ("签约订车", "Order"),
    "funnel.stage.delivery": ("交车", "Delivery"),
    "funnel.speed.le_5min": ("5分钟内", "Within 5 min"),
    "funnel.speed.le_15min": ("5–15分钟", "5–15 min"),
    "funnel.speed.le_2h": ("15分钟–2小时", "15 min – 2 h"),
    "funnel.speed.later": ("2小时以后", "Later than 2 h"),
    "funnel.speed.never": ("未联系", "Never contacted"),
    "funnel.speed.help": (
        "从线索创建到首次联系的时间；转化率 = 已订车线索 ÷ 线索数。SOP 要求 15 分钟内首次致电。",
        "Time from the lead's creation to its first contact; conversion = leads that ordered ÷ leads. "
        "The SOP asks for a first call within 15 minutes.",
    ),
    "funnel.durations.help": (
        "只统计两个阶段都已到达的线索。",
        "Only leads that reached both stages are counted.",
    ),
    "funnel.col.stage": ("阶段", "Stage"),
    "funnel.col.count": ("线索数", "Leads"),
    "funnel.col.step_conversion": ("环节转化率", "Stage conversion"),
    "funnel.col.overall_conversion": ("整体转化率", "Overall conversion"),
    "funnel.col.drop_off": ("流失数", "Drop-off"),
    "funnel.col.group": ("分组", "Group"),
    "funnel.col.leads": ("线索数", "Leads"),
    "funnel.col.orders": ("订车数", "Orders"),
    "funnel.col.order_conversion": ("订车转化率", "Conversion to order"),
    "funnel.col.current": ("本期", "This period"),
    "funnel.col.previous": ("上一期", "Previous period"),
    "funnel.col.current_conversion": ("本期环节转化率", "Stage conversion, this period"),
    "funnel.col.previous_conversion": ("上一期环节转化率", "Stage conversion, previous period"),
    "funnel.col.from_stage": ("从", "From"),
    "funnel.col.to_stage": ("到", "To"),
    "funnel.col.median_days": ("中位天数", "Median days"),
    "funnel.col.bucket": ("首次联系用时", "Time to first contact"),
    "funnel.col.conversion": ("订车转化率", "Conversion to order"),
    "funnel.missing": ("未填写", "not set"),
    "funnel.section.cohorts": (
        "按月队列：每月新建线索走到了哪一步",
        "Monthly cohorts: how far each month's leads got",
    ),
    "funnel.cohorts.help": (
        "按线索创建月份分组（截至本期结束的 12 个月，门店/区域/渠道筛选同上），显示每一阶段的环节转化率"
        "（本阶段数 ÷ 上一阶段数）。越新的月份跟进时间越短，后段转化自然偏低。",
        "Leads grouped by the month they were created (the 12 months up to the period's end, same store, region "
        "and channel filters), with each stage's conversion from the stage before. Recent months have had less "
        "time, so their later stages are naturally lower.",
    ),
    "funnel.col.month": ("创建月份", "Month created"),
    "funnel.section.drill": ("查看背后的客户", "The customers behind the figures"),
    "funnel.drill.help": (
        "选择阶段，或点击上方“分维度转化”图中的柱子限定分组（再次点击空白处取消）。",
        "Choose a stage, or click a bar of the “Conversion by group” chart above to narrow to that group "
        "(click an empty spot to clear it).",
    ),
    "funnel.drill.stage": ("阶段", "Stage"),
    "funnel.drill.mode": ("范围", "Which leads"),
    "funnel.drill.mode.reached": ("到达该阶段的线索", "Reached this stage"),
    "funnel.drill.mode.stopped": (
        "停在该阶段的线索（未进入下一阶段）",
        "Stopped at this stage (went no further)",
    ),
    "funnel.drill.group": ("分组", "Group"),
    "funnel.drill.all": ("全部分组", "All groups"),
    "funnel.drill.title": ("{stage} · {mode} · {group}", "{stage} · {mode} · {group}"),
}

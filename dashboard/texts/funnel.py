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
    "funnel.col.previous_same_age": ("上一期（同龄）", "Previous period (same age)"),
    "funnel.col.previous_same_age_conversion": (
        "上一期环节转化率（同龄）",
        "Stage conversion, previous period (same age)",
    ),
    "funnel.compare.caption": (
        "同龄比较：本期 {start} 至 {end} 新建的线索，截至 {as_of}（数据最后一天）到达的阶段；对比上一期 {pstart} 至 "
        "{pend} 新建的线索，截至 {pas_of}（早 {days} 天）到达的阶段。每条上期线索只计创建后与本期对应线索相同天数内"
        "的进展，不因多跟进了 {days} 天而显得转化更高。",
        "Cohorts at equal age: the leads created from {start} to {end}, by the stages reached up to {as_of} (the "
        "data's last day), against the leads created from {pstart} to {pend}, by the stages reached up to "
        "{pas_of} ({days} days earlier). Each previous lead counts only what it reached within as many days of "
        "its creation as its counterpart in this period has had, so {days} more days of follow-up do not look "
        "like better conversion.",
    ),
    "funnel.compare.current": (
        "本期 {start} 至 {end}，截至 {as_of}",
        "This period {start} to {end}, as of {as_of}",
    ),
    "funnel.compare.previous": (
        "上一期 {start} 至 {end}，截至 {as_of}（同龄）",
        "Previous period {start} to {end}, as of {as_of} (same age)",
    ),
    "funnel.compare.help": (
        "上一期的线索比本期多跟进了一个周期的时间，直接比较会让上一期的后段转化显得更高。因此上一期只计每条线索"
        "在“数据最后一天减去周期长度”之前到达的阶段（阶段时间缺失时按下一个有时间的阶段计）；"
        "在这一时刻之后才新建的上期线索不计入。",
        "The previous period's leads have had one period more to convert, so comparing them as they stand today "
        "flatters their later stages. The previous period therefore counts only the stages each lead reached "
        "before the data's last day minus the period's length (a stage without a recorded time counts from the "
        "next stage that has one); previous leads created after that moment are left out.",
    ),
}

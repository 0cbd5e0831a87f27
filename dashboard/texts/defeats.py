"""Texts of the defeats page: key → (中文, English)."""

TEXT: dict[str, tuple[str, str]] = {
    "defeats.page": ("战败分析", "Defeat reasons"),
    "defeats.title": ("战败分析", "Defeat reasons"),
    "defeats.caption": (
        "{start} 至 {end} 的战败（按战败日期），共 {n} 条，与总览的“期内战败”相同：导入为战败或经理已批准的线索，"
        "未记录原因的计为“未填写原因”；门店、渠道按线索，区域按客户筛选。",
        "Defeats dated {start} to {end}: {n}, the overview's “defeats in the period”: leads imported as lost or "
        "whose defeat a manager approved, those without a recorded reason as “reason not recorded”; store and "
        "channel filter the lead, region the customer.",
    ),
    "defeats.pending": (
        "另有 {n} 条战败申请待经理审批，批准前不计入战败（线索仍在跟进）。",
        "{n} more defeat requests wait for a manager's approval; they count as defeats only once approved (the "
        "lead stays open until then).",
    ),
    "defeats.nothing": (
        "所选期间和筛选条件下没有战败记录。请放宽日期范围或筛选条件。",
        "No defeats match the chosen period and filters. Widen the period or clear a filter.",
    ),
    "defeats.pareto": ("战败原因帕累托", "Pareto of defeat reasons"),
    "defeats.pareto.help": (
        "按次数从多到少排列；折线为累计占比，前几项通常解释大部分战败。",
        "Most frequent first; the line is the cumulative share: the first few reasons explain most defeats.",
    ),
    "defeats.breakdown": ("战败原因分解", "Defeat reasons broken down"),
    "defeats.breakdown.by": ("分解维度", "Break down by"),
    "defeats.by.model": ("意向车型", "Intended model"),
    "defeats.by.competitor": ("竞品品牌", "Competitor brand"),
    "defeats.by.advisor": ("销售顾问", "Sales advisor"),
    "defeats.by.channel": ("线索渠道", "Lead channel"),
    "defeats.by.stage": ("战败阶段", "Stage lost"),
    "defeats.price": ("价格战败细分", "Price defeats by sub-reason"),
    "defeats.price.none": ("期间内没有价格原因的战败。", "No defeats for price in the period."),
    "defeats.trend": ("月度趋势", "Monthly trend"),
    "defeats.brush": ("按月份看战败原因", "Reasons in the months you choose"),
    "defeats.brush.help": (
        "左图每月的战败数按原因堆叠；在图上横向拖选几个月，右图只统计这些月份（与所选期间的交集）的战败原因，"
        "数字与上面的帕累托图同一口径。双击左图清除选择，右图回到整个期间。浅色柱为部分月份。",
        "Defeats per month, stacked by reason. Drag across some months: the reasons on the right then count only "
        "those months (within the period), by the same definition as the Pareto above. Double-click the chart to "
        "clear the choice and see the whole period again. Lighter bars are partial months.",
    ),
    "defeats.brush.months": (
        "所选月份 {start} 至 {end}：{n} 条战败",
        "Chosen months, {start} to {end}: {n} defeats",
    ),
    "defeats.brush.all": (
        "整个期间 {start} 至 {end}：{n} 条战败。在左图拖选月份可只看这些月份。",
        "The whole period, {start} to {end}: {n} defeats. Drag across months on the left to see only those.",
    ),
    "defeats.winback": ("战败客户挽回", "Winning defeated customers back"),
    "defeats.winback.help": (
        "再次购车：战败后（期间内首次战败日之后）有新车购买记录的客户。",
        "Won back: customers with a new-car purchase dated after the day of their first defeat in the period.",
    ),
    "defeats.kpi.defeated": ("战败客户", "Defeated customers"),
    "defeats.kpi.reactivated": ("已激活", "Re-activated"),
    "defeats.kpi.won_back": ("再次购车", "Bought later"),
    "defeats.kpi.reactivation_rate": ("激活率", "Re-activation rate"),
    "defeats.kpi.win_back_rate": ("再次购车率", "Win-back rate"),
    "defeats.candidates": ("值得再激活的战败客户（{n}）", "Defeated customers worth re-activating ({n})"),
    "defeats.candidates.help": (
        "未激活、未再购车，在试驾或报价及之后因价格、金融方案或交付时间战败的客户，最近的在前。姓名和电话已脱敏。",
        "Not re-activated and not bought since, lost at test drive or later for price, financing or delivery "
        "time; most recent first. Names and phones are masked.",
    ),
    "defeats.candidates.none": ("没有符合条件的客户。", "No customer qualifies."),
    "defeats.view.chart": ("图表", "Chart"),
    "defeats.view.table": ("表格", "Table"),
    # columns
    "defeats.col.reason": ("战败原因", "Reason"),
    "defeats.col.sub_reason": ("细分原因", "Sub-reason"),
    "defeats.col.count": ("战败数", "Defeats"),
    "defeats.col.share": ("占比", "Share"),
    "defeats.col.cum_share": ("累计占比", "Cumulative share"),
    "defeats.col.group": ("分组", "Group"),
    "defeats.col.month": ("月份", "Month"),
    "defeats.col.customer_id": ("客户编号", "Customer id"),
    "defeats.col.name": ("姓名", "Name"),
    "defeats.col.phone": ("手机号", "Phone"),
    "defeats.col.store": ("门店", "Store"),
    "defeats.col.advisor": ("顾问", "Advisor"),
    "defeats.col.intended_model": ("意向车型", "Intended model"),
    "defeats.col.stage_lost": ("战败阶段", "Stage lost"),
    "defeats.col.competitor_brand": ("竞品品牌", "Competitor brand"),
    "defeats.col.defeated_at": ("战败日期", "Defeated on"),
    # reason codes
    "defeats.reason.price": ("价格", "Price"),
    "defeats.reason.competitor": ("竞品", "Competitor"),
    "defeats.reason.model": ("车型/配置", "Model / equipment"),
    "defeats.reason.service": ("服务体验", "Service experience"),
    "defeats.reason.finance": ("金融方案", "Financing"),
    "defeats.reason.delivery_time": ("交付时间", "Delivery time"),
    "defeats.reason.unclear_need": ("需求不明确/借口", "Unclear need / excuse"),
    "defeats.reason.unrecorded": ("未填写原因", "Reason not recorded"),
    # price sub-reasons
    "defeats.sub.positioned_high": ("定位高", "Positioned high"),
    "defeats.sub.dealer_markup": ("经销商加价", "Dealer mark-up"),
    "defeats.sub.price_war": ("竞价销售", "Price war"),
    "defeats.sub.promotion_mismatch": ("促销口径不一致", "Promotion mismatch"),
    "defeats.sub.excuse": ("借口", "Excuse"),
    "defeats.sub.need_misread": ("需求把握不准", "Need misread"),
    "defeats.sub.unspecified": ("未注明", "Not given"),
    # funnel stages
    "defeats.stage.lead": ("线索", "Lead"),
    "defeats.stage.first_contact": ("首次联系", "First contact"),
    "defeats.stage.needs": ("需求分析", "Needs analysis"),
    "defeats.stage.visit": ("到店", "Store visit"),
    "defeats.stage.test_drive": ("试驾", "Test drive"),
    "defeats.stage.quote": ("报价", "Quote"),
    "defeats.stage.order": ("订车", "Order"),
    "defeats.stage.delivery": ("交车", "Delivery"),
    "defeats.drill": (
        "查看某一原因背后的战败客户（点击帕累托图的柱子或在此选择）",
        "The defeated customers behind a reason (click a bar of the Pareto or choose here)",
    ),
    "defeats.drill.title": ("战败原因：{reason}", "Defeat reason: {reason}"),
    "defeats.trend.help": (
        "每月战败数（按战败日期），按原因分线。所选期间或数据（第一天、最后一天）只覆盖一个月的部分天数时，"
        "该月为部分月份：数字只含已覆盖天数内的战败，不与整月比较，图中以空心点和虚线单独标出。",
        "Defeats per month (by the defeat's date), one line per reason. A month the period or the data (its first "
        "or last day) covers only in part is a partial month: it counts the defeats of the days covered, is not to "
        "be compared with whole months, and is drawn apart (open point, dotted line).",
    ),
    "defeats.trend.partial": (
        "部分月份：{months}。这些月份的战败数只含已覆盖的天数，数量较少不代表战败减少。",
        "Partial months: {months}. Their defeats cover only those days: a lower count is not fewer defeats.",
    ),
}

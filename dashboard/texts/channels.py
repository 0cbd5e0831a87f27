"""Texts of the channel ROI page: key → (中文, English)."""

TEXT: dict[str, tuple[str, str]] = {
    "roi.page": ("渠道投入产出", "Channel ROI"),
    "roi.title": ("渠道投入产出", "Channel ROI"),
    "roi.caption": (
        "按整月统计：{first} 至 {last}（所选 {start} 至 {end} 涉及的月份，每月按全月计，因为投放费用按月填报）。"
        "门店、渠道按线索筛选，区域按客户筛选。",
        "Whole months {first} to {last} (the months {start} to {end} touches, each counted in full, because spend "
        "is reported per month). Store and channel filter the lead, region the customer.",
    ),
    "roi.nothing": (
        "所选月份和筛选条件下没有线索、到店、成交或投放费用。请放宽日期范围或门店/区域/渠道筛选。",
        "No leads, visits, deals or spend match these months and filters. Widen the period or the store, region "
        "or channel filters.",
    ),
    "roi.help": (
        "线索 = 当月经该渠道新建的线索；H/A 占比 = 意向级别为 H 或 A（或已订车 O/D/M）的线索 ÷ 线索；"
        "到店 = 该渠道线索中当月到店的；成交 = 该渠道线索中当月签约订车的（与总览的订车口径一致），"
        "转化率 = 成交 ÷ 线索；收入、毛利 = 这些成交线索关联的新车销售；投放费用 = 渠道当月各门店填报的费用；"
        "单条线索成本 = 费用 ÷ 线索；单车获客成本 = 费用 ÷ 成交；ROI = (毛利 − 费用) ÷ 费用。"
        "费用缺失的月份不按 0 计，相关比率留空。多个月合计时先合计再相除。",
        "Leads = leads created in the month via the channel; H/A share = leads graded H or A (or already ordered: "
        "O/D/M) ÷ leads; visits = the channel's leads that visited the store in the month; deals = the channel's "
        "leads that ordered in the month (the overview's orders), conversion = deals ÷ leads; revenue and gross "
        "profit = the new-car sales linked to those deals; spend = what the stores reported for the channel and "
        "month; cost per lead = spend ÷ leads; cost per deal = spend ÷ deals; ROI = (gross profit − spend) ÷ "
        "spend. A month whose spend is missing is not counted as 0: its ratios stay empty. Totals over months add "
        "up first, then divide.",
    ),
    "roi.yuan": ("元", "yuan"),
    "roi.overview": ("各渠道投入与毛利", "Spend and gross profit per channel"),
    "roi.missing.warning": (
        "有 {n} 个“渠道 × 门店 × 月份”有线索但没有填报投放费用：这些月份的费用记为缺失（不是 0），"
        "见下方“费用计算方式”。",
        "{n} channel × store × month combinations have leads but no reported spend: their spend is missing (not "
        '0); see "How spend is counted" below.',
    ),
    "roi.missing.bars": (
        "费用缺失的渠道，柱子只显示已填报部分。",
        "For a channel with missing spend the bar shows only what was reported.",
    ),
    "roi.bubble": ("单车获客成本与转化率", "Cost per deal against conversion"),
    "roi.bubble.help": (
        "横轴：单车获客成本（费用 ÷ 成交）；纵轴：转化率（成交 ÷ 线索）；气泡大小：投放费用。越靠左上越好。",
        "Across: cost per deal (spend ÷ deals); up: conversion (deals ÷ leads); bubble size: spend. Top left is "
        "best.",
    ),
    "roi.bubble.left_out": (
        "未画出（没有成交或费用缺失）：{names}",
        "Not drawn (no deals, or spend missing): {names}",
    ),
    "roi.trend": ("月度趋势", "Monthly trend"),
    "roi.metric": ("指标", "Measure"),
    "roi.detail": ("渠道 × 月份明细", "Every channel and month"),
    "roi.spend_rules": ("费用计算方式", "How spend is counted"),
    "roi.spend_rules.help": (
        "每个渠道的计费方式，以及有线索却没有填报费用的门店和月份。选了区域时，门店的费用按该区域在"
        "该门店当月该渠道线索中的占比分摊。",
        "How each channel charges, and the stores and months with leads but no reported spend. With a region "
        "filter, a store's spend is shared out by the region's share of the channel's leads in that store and "
        "month.",
    ),
    "roi.rule": ("说明", "What it means"),
    "roi.all_months": ("全部月份", "All months"),
    "roi.drill": ("数字背后的客户", "The customers behind a figure"),
    "roi.drill.help": (
        "选择渠道、指标和月份（或点击上面的柱子或折线上的点）。姓名和电话已脱敏。",
        "Choose a channel, a measure and a month (or click a bar or a point above). Names and phones are masked.",
    ),
    "roi.drill.measure": ("指标", "Measure"),
    "roi.drill.count": (
        "{channel} · {measure} · {month}：{n} 条线索",
        "{channel} · {measure} · {month}: {n} leads",
    ),
    "roi.cost_model.per_lead": ("按线索计费", "Per lead"),
    "roi.cost_model.per_visit": ("按到店计费", "Per visit"),
    "roi.cost_model.per_sale": ("按成交计费", "Per sale"),
    "roi.cost_model.flat": ("固定月费", "Flat monthly fee"),
    "roi.cost_model.none": ("无投放费用", "No spend"),
    "roi.rule.per_lead": (
        "平台按收到的每条线索收费；门店每月填报账单金额。",
        "The platform charges for every lead it sends; the store reports the monthly bill.",
    ),
    "roi.rule.per_visit": (
        "按邀约到店的客户人次付费（如车展/活动）；门店每月填报。",
        "Paid per customer who came to the store (e.g. auto shows, events); the store reports it monthly.",
    ),
    "roi.rule.per_sale": (
        "成交后才付费（如老客户转介绍奖励）；没有成交的月份费用为 0。",
        "Paid only after a sale (e.g. referral rewards); a month without sales costs 0.",
    ),
    "roi.rule.flat": (
        "每月固定费用（如账号运营、代运营），与线索多少无关。",
        "A fixed monthly fee (e.g. account management), whatever the number of leads.",
    ),
    "roi.rule.none": (
        "不花钱的渠道（如到店自然客流），费用按 0 计，ROI 无意义，留空。",
        "A free channel (e.g. walk-ins): spend counts as 0, and ROI is meaningless, so it is left empty.",
    ),
    "roi.status.reported": ("已填报", "Reported"),
    "roi.status.partial": ("部分门店缺失", "Missing at some stores"),
    "roi.status.missing": ("费用缺失", "Spend missing"),
    "roi.status.none": ("无投放费用", "Free channel"),
    "roi.status.no_spend": ("当月无费用", "No spend this month"),
    "roi.col.channel": ("渠道", "Channel"),
    "roi.col.month": ("月份", "Month"),
    "roi.col.cost_model": ("计费方式", "Cost model"),
    "roi.col.spend_status": ("费用状态", "Spend status"),
    "roi.col.spend": ("投放费用", "Spend"),
    "roi.col.spend_reported": ("已填报费用", "Spend reported"),
    "roi.col.missing_stores": ("缺失门店数", "Stores missing"),
    "roi.col.missing_months": ("缺失月份数", "Months missing"),
    "roi.col.missing_rows": ("缺失的月份和门店", "Months and stores missing"),
    "roi.col.leads": ("线索", "Leads"),
    "roi.col.cost_per_lead": ("单条线索成本", "Cost per lead"),
    "roi.col.ha_share": ("H/A 占比", "H/A share"),
    "roi.col.visits": ("到店", "Store visits"),
    "roi.col.deals": ("成交", "Deals"),
    "roi.col.conversion": ("转化率", "Conversion"),
    "roi.col.cost_per_deal": ("单车获客成本", "Cost per deal"),
    "roi.col.revenue": ("收入", "Revenue"),
    "roi.col.gross_profit": ("毛利", "Gross profit"),
    "roi.col.roi": ("ROI", "ROI"),
    "roi.col.lead_id": ("线索编号", "Lead id"),
    "roi.col.customer_id": ("客户编号", "Customer id"),
    "roi.col.name": ("姓名", "Name"),
    "roi.col.phone": ("电话", "Phone"),
    "roi.col.region": ("区域", "Region"),
    "roi.col.store": ("门店", "Store"),
    "roi.col.grade": ("意向级别", "Grade"),
    "roi.col.created_at": ("创建时间", "Created"),
    "roi.col.visit_at": ("到店时间", "Visited"),
    "roi.col.order_at": ("订车时间", "Ordered"),
    "roi.partial": (
        "部分月份：{months}。数据从 {first} 到 {last}，这些月份只含已有数据的天数：数字按实际发生统计（不折算），"
        "单条线索成本、单车获客成本、ROI 等比率不与整月比较；趋势图中以空心点和虚线单独标出，合计里计入这些月份。",
        "Partial months: {months}. The data runs from {first} to {last}, so these months hold only the days with "
        "data: their figures are what happened (nothing scaled), and their ratios (cost per lead, cost per deal, "
        "ROI, …) are not to be compared with whole months; the trend draws them apart (open point, dotted line), "
        "and the totals include them.",
    ),
}

"""Every user-visible string, Chinese first (zh-CN), English second. ``t(key)`` picks the session's language."""

from __future__ import annotations

import streamlit as st

LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh"

TEXT: dict[str, tuple[str, str]] = {
    # shell
    "app.title": ("车商客户分级看板", "Dealer customer-tiering dashboard"),
    "app.language": ("语言", "Language"),
    "nav.analysis": ("分析", "Analysis"),
    "nav.tiering": ("分级", "Tiering"),
    "nav.data": ("数据", "Data"),
    "page.overview": ("总览", "Overview"),
    "page.tiers": ("分级结果", "Tier assignments"),
    "page.data": ("数据管理", "Data management"),
    # filters
    "filters.header": ("筛选", "Filters"),
    "filters.period": ("日期范围", "Period"),
    "filters.store": ("门店", "Store"),
    "filters.region": ("区域", "Region"),
    "filters.channel": ("线索渠道", "Lead channel"),
    "filters.all": ("全部", "All"),
    "filters.period_incomplete": ("请选择开始和结束日期。", "Choose both a start and an end date."),
    "filters.data_as_of": ("数据截至 {day}", "Data up to {day}"),
    # database errors
    "db.error.title": ("无法使用数据库", "The database cannot be used"),
    "db.error.bad_url": (
        "数据库地址无效。请使用例如 sqlite:///data/dashboard.sqlite 或 postgresql+psycopg://用户@主机:5432/库名。",
        "The database URL is not valid; use e.g. sqlite:///data/dashboard.sqlite or postgresql+psycopg://user@host:5432/db.",
    ),
    "db.error.driver_missing": (
        "没有安装该数据库的驱动。请运行 pip install -e . ，或使用 postgresql+psycopg:// / mysql+pymysql://。",
        "No driver is installed for this database; run pip install -e . or use postgresql+psycopg:// / mysql+pymysql://.",
    ),
    "db.error.unreachable": (
        "连接不上数据库。请检查数据库服务是否运行，以及主机、端口、库名或文件路径是否正确。",
        "Cannot connect to the database; check that the server runs and the host, port, database name or file path are right.",
    ),
    "db.error.denied": (
        "数据库拒绝登录，请检查用户名和密码。",
        "The database refused the login; check the user name and password.",
    ),
    "db.error.key_missing": (
        "没有配置数据密钥，客户姓名和电话无法解密。请在环境变量 DEALER_DATA_KEY（或 .streamlit/secrets.toml 的 data_key）中"
        "设置加密该数据库时使用的密钥后刷新页面。",
        "No data key is configured, so customers' names and phones cannot be read: set DEALER_DATA_KEY (or data_key "
        "in .streamlit/secrets.toml) to the key this database was encrypted with, then reload.",
    ),
    "db.error.key_invalid": (
        "DEALER_DATA_KEY（或 .streamlit/secrets.toml 的 data_key）不是有效的数据密钥；`python -m core keys new` 可生成新密钥。",
        "DEALER_DATA_KEY (or data_key in .streamlit/secrets.toml) is not a data key; `python -m core keys new` prints one.",
    ),
    "db.error.key_wrong": (
        "配置的数据密钥打不开该数据库的姓名和电话。请设置加密时使用的密钥（更换密钥期间：新密钥在前、旧密钥在后，用逗号分隔）。",
        "The configured data key does not open this database's names and phones: set the key it was encrypted with "
        "(while rotating: the new key first, then the old, comma-separated).",
    ),
    "db.error.key_unsealed": (
        "数据库中有未加密的姓名或电话，请运行 `python -m core db upgrade` 加密。",
        "The database holds names or phones that are not encrypted; run `python -m core db upgrade`.",
    ),
    "db.error.tried": ("尝试连接：{url}（来源：{source}）", "Tried: {url} (from: {source})"),
    "db.error.detail": ("数据库返回：{detail}", "The database said: {detail}"),
    "db.error.howto": (
        "在环境变量 DATABASE_URL 或 .streamlit/secrets.toml 的 database_url 中设置正确的地址后刷新页面。",
        "Set the right URL in the environment variable DATABASE_URL or database_url in .streamlit/secrets.toml, then reload.",
    ),
    "db.source.cli": ("命令行", "command line"),
    "db.source.env": ("环境变量 DATABASE_URL", "environment variable DATABASE_URL"),
    "db.source.secrets": (".streamlit/secrets.toml", ".streamlit/secrets.toml"),
    "db.source.default": ("内置 SQLite 默认文件", "embedded SQLite default file"),
    # empty database / demo
    "empty.title": ("数据库里还没有客户数据", "The database holds no customers yet"),
    "empty.body": (
        "可以先生成一套演示数据（惠州经销商集团，36 个月历史）来体验看板，或在「数据管理」中查看数据库状态。",
        "Create demo data (a Huizhou dealer group with 36 months of history) to try the dashboard, or see the database status under Data management.",
    ),
    "demo.customers": ("客户数", "Customers"),
    "demo.seed": ("随机种子", "Random seed"),
    "demo.create": ("生成演示数据", "Create demo data"),
    "demo.progress": ("正在生成：{what}", "Generating: {what}"),
    "demo.done": (
        "已生成演示数据：{customers} 位客户，{leads} 条商机。",
        "Demo data created: {customers} customers, {leads} leads.",
    ),
    "demo.not_empty": (
        "数据库中已有数据，演示数据只能写入空数据库。",
        "The database already holds data; demo data goes only into an empty database.",
    ),
    # overview
    "overview.title": ("总览", "Overview"),
    "overview.caption": (
        "{start} 至 {end}，与上一期（{pstart} 至 {pend}）对比",
        "{start} to {end}, against the previous period ({pstart} to {pend})",
    ),
    "kpi.leads": ("新增线索", "New leads"),
    "kpi.leads.help": ("期内新建的线索（商机）数。", "Leads created in the period."),
    "kpi.conversion": ("整体转化率", "Overall conversion"),
    "kpi.conversion.help": (
        "期内签约/订车数 ÷ 期内新增线索数（月报口径的成交率）。",
        "Orders placed in the period ÷ leads created in the period (the monthly report's conversion).",
    ),
    "kpi.defeat_rate": ("战败率", "Defeat rate"),
    "kpi.defeat_rate.help": (
        "期内战败数 ÷（期内战败数 + 期内订车数）。战败：期内记为战败的线索（导入为战败，或经理已批准的战败申请），"
        "与战败分析页相同；待审批的申请不计入。",
        "Defeats in the period ÷ (defeats + orders in the period). A defeat: a lead recorded as lost in the period "
        "(imported as lost, or a defeat request a manager approved), as on the defeat page; pending requests "
        "do not count.",
    ),
    "kpi.overdue": ("逾期未跟进", "Overdue follow-ups"),
    "kpi.overdue.help": (
        "期末仍在跟进的线索（未交车、未战败；已订车待交车的也算）中，最近一次跟进（没有跟进时为首次接触）"
        "早于其级别跟进周期（H 3天、A 7天、B 15天、C 30天、O 7天）或从未联系的数量；每个期间按同一规则计算。",
        "Leads under cadence at the period's end (neither delivered nor defeated; ordered leads awaiting "
        "delivery included) whose last follow-up (else first contact) is older than their grade's cadence "
        "(H 3 days, A 7, B 15, C 30, O 7), or never contacted; the same rule for every period.",
    ),
    "kpi.customers_tiered": ("已分级客户", "Tiered customers"),
    "kpi.no_previous": ("上一期无数据", "no data in the previous period"),
    "overview.tiers": ("各级别客户数", "Customers per tier"),
    "overview.tiers.scheme": (
        "当前方案：{name}（第 {version} 版）",
        "Scheme in force: {name} (version {version})",
    ),
    "overview.tiers.none": ("还没有已发布的分级方案。", "No scoring scheme has been published yet."),
    "overview.nothing": (
        "当前筛选条件下没有数据，请放宽日期范围或门店/区域/渠道筛选。",
        "Nothing matches these filters; widen the period or the store, region or channel filters.",
    ),
    "overview.drill": ("数字背后的客户", "The customers behind a figure"),
    "overview.drill.help": (
        "选一个数字，或点击上面级别图中的柱形，列出本期背后的线索或客户：新增、订车、交车、战败按发生时间从新到旧；"
        "逾期未跟进按最久未联系在前；级别按得分从高到低。最多列出 500 条。",
        "Choose a figure, or click a bar of the tier chart above, to list this period's leads or customers behind "
        "it: new leads, orders, deliveries and defeats newest first; overdue follow-ups longest without contact "
        "first; a tier's customers best score first. At most 500 are listed.",
    ),
    "overview.drill.figure": ("数字", "Figure"),
    "overview.drill.option": ("{figure}：{n}", "{figure}: {n}"),
    "overview.drill.title": ("{figure}（{start} 至 {end}）", "{figure} ({start} to {end})"),
    "overview.fig.orders": ("期内签约订车", "Orders in the period"),
    "overview.fig.delivered": ("期内交车", "Deliveries in the period"),
    "overview.fig.defeated": ("期内战败", "Defeats in the period"),
    "overview.fig.tier": ("已分级客户 · {tier}", "Tiered customers · {tier}"),
    "col.tier": ("级别", "Tier"),
    "col.customers": ("客户数", "Customers"),
    "col.share": ("占比", "Share"),
    "col.previous": ("上一期", "Previous period"),
    "col.change": ("变化", "Change"),
    "col.customer_id": ("客户编号", "Customer id"),
    "col.name": ("姓名", "Name"),
    "col.phone": ("手机号", "Phone"),
    "col.region": ("区域", "Region"),
    "col.store": ("门店", "Store"),
    "col.score": ("得分", "Score"),
    "col.since": ("生效时间", "In force since"),
    # tiers page
    "tiers.title": ("分级结果", "Tier assignments"),
    "tiers.by_region": ("各区域级别分布", "Tiers by region"),
    "tiers.list": ("客户名单（前 {n} 位，按得分排序）", "Customers (first {n}, by score)"),
    "tiers.pick": ("级别", "Tier"),
    # data page
    "data.title": ("数据管理", "Data management"),
    "data.database": ("数据库", "Database"),
    "data.url": ("地址", "URL"),
    "data.source": ("来源", "Configured by"),
    "data.schema": ("结构版本", "Schema version"),
    "data.schema_ok": ("已是最新（{rev}）", "up to date ({rev})"),
    "data.tables": ("各表行数", "Rows per table"),
    "data.table": ("表", "Table"),
    "data.rows": ("行数", "Rows"),
    "data.demo_meta": (
        "演示数据：种子 {seed}，截至 {as_of}，{customers} 位客户",
        "Demo data: seed {seed}, as of {as_of}, {customers} customers",
    ),
    # scoring lab
    "page.lab": ("评分实验室", "Scoring lab"),
    "lab.title": ("评分实验室", "Scoring lab"),
    "lab.caption": (
        "调整权重和分级规则，实时预览谁会换级、为什么、对工作量和预测效果的影响，确认后再发布。",
        "Tune weights and tier rules, preview who changes tier, why, and what it does to workload and prediction, then publish.",
    ),
    "lab.population": ("人群", "Population"),
    "lab.population.owners": ("保有/基盘客户", "Owners (base customers)"),
    "lab.population.leads": ("在跟进线索", "Open leads"),
    "lab.loading": ("正在读取数据并计算各维度……", "Reading the data and computing the dimensions…"),
    "lab.empty": ("这个人群目前没有客户，无法评分。", "This population has no customers to score yet."),
    "lab.as_of": (
        "数据日期 {as_of}，{n} 位客户；回测：{bt} 的得分对比其后 {h} 天的结果",
        "Data as of {as_of}, {n} customers; backtest: scores on {bt} against the following {h} days",
    ),
    "lab.preset": ("预设方案", "Preset"),
    "lab.preset.apply": ("套用预设", "Apply preset"),
    "lab.preset.published": ("当前发布的方案", "The published scheme"),
    "lab.weights": ("维度权重（%）", "Dimension weights (%)"),
    "lab.weights.total": ("权重合计 {total}%", "Weights total {total}%"),
    "lab.advanced": ("归一化与方向", "Normalisation and direction"),
    "lab.normalisation": ("归一化", "Normalisation"),
    "lab.direction": ("方向", "Direction"),
    "norm.percentile": ("百分位排名", "Percentile rank"),
    "norm.minmax": ("最小-最大", "Min-max"),
    "norm.log_minmax": ("对数后最小-最大", "Log, then min-max"),
    "dir.higher": ("越高越好", "Higher is better"),
    "dir.lower": ("越低越好", "Lower is better"),
    "lab.tiering": ("分级规则", "Tier rule"),
    "lab.method": ("方式", "Method"),
    "method.percentile": ("按百分比切分", "Percentile cut-offs"),
    "method.threshold": ("按得分阈值", "Score thresholds"),
    "lab.labels": ("级别名称（从高到低，用 / 分隔）", "Tier labels (top first, separated by /)"),
    "lab.cutoffs": ("各级占比 %（从高到低，用 / 分隔）", "Tier sizes in % (top first, separated by /)"),
    "lab.thresholds": (
        "得分阈值（从高到低，用 / 分隔，比级别少一个）",
        "Score thresholds (descending, separated by /, one fewer than tiers)",
    ),
    "lab.triggers": ("预警规则（命中即强制定级）", "Trigger rules (force a tier when they fire)"),
    "lab.triggers.none": ("不使用预警规则", "No trigger rules"),
    "lab.trigger_tier": ("命中后定为", "Forced tier"),
    "rule.no_purchase_6m_no_response": (
        "6个月未消费且对跟进无响应",
        "No purchase for 6 months and no response to outreach",
    ),
    "rule.frequency_down_50": ("消费频次同比下降50%以上", "Purchase frequency down 50% or more"),
    "rule.asked_competitor": ("咨询过竞品", "Asked about a competitor"),
    "lab.preview": (
        "重新分级预览（对比当前发布方案）",
        "Reclassification preview (against the published scheme)",
    ),
    "lab.preview.scaled": (
        "预览按权重比例折算为 100% 计算；保存和发布需要合计正好 100%。",
        "The preview rescales the weights to 100%; saving and publishing need exactly 100%.",
    ),
    "lab.counts": ("各级人数", "Customers per tier"),
    "lab.transition": (
        "级别迁移矩阵（行：当前级别，列：新级别）",
        "Transition matrix (rows: current tier, columns: new tier)",
    ),
    "lab.moved": (
        "升级 {up} 人，降级 {down} 人，不变 {same} 人",
        "{up} move up, {down} move down, {same} stay",
    ),
    "lab.overrides": (
        "其中 {n} 位客户有人工调整，发布后仍以人工调整为准。",
        "{n} of them have a manual override, which stays in force after publishing.",
    ),
    "lab.movers": ("换级客户及原因", "Who moves, and why"),
    "lab.movers.up": ("升级", "Moving up"),
    "lab.movers.down": ("降级", "Moving down"),
    "lab.movers.none": ("没有客户换级。", "Nobody changes tier."),
    "lab.movers.shown": ("显示前 {n} 位（共 {total} 位）", "Showing the first {n} of {total}"),
    "lab.filter.region": ("区域", "Region"),
    "lab.filter.store": ("门店", "Store"),
    "lab.filter.advisor": ("顾问编号", "Advisor id"),
    "lab.workload": ("每位顾问每周需跟进次数", "Follow-ups per advisor per week"),
    "lab.workload.help": (
        "按级别跟进周期（如 H 3天、A 7天、高价值 7天、流失风险 14天）计算。",
        "From each tier's follow-up cadence (e.g. H 3 days, A 7, high value 7, churn risk 14).",
    ),
    "lab.backtest": ("回测：各级别后续转化/复购率", "Backtest: later conversion / repurchase per tier"),
    "lab.backtest.constant": (
        "回测中这些维度按常数处理（数据库只保存其当前值，用过去日期计算会泄露结果）：{dims}",
        "In the backtest these dimensions are held constant (only today's value is stored, which would leak the outcome): {dims}",
    ),
    "lab.suggest": ("建议权重", "Suggest weights"),
    "lab.suggest.help": (
        "用过去的结果拟合非负逻辑回归，按时间留出一段数据检验；只作建议，不会自动采用。",
        "Fits a non-negative logistic regression to past outcomes, checked on a later time period; only offered, never applied by itself.",
    ),
    "lab.suggested": ("建议", "Suggested"),
    "lab.suggest.auc": (
        "留出期 AUC：建议 {suggested}，当前草稿 {draft}（用 {train} 的数据拟合，用 {holdout} 的数据检验）",
        "Hold-out AUC: suggested {suggested}, current draft {draft} (fitted on {train}, checked on {holdout})",
    ),
    "lab.suggest.use": ("采用为草稿权重", "Use as the draft's weights"),
    "lab.auc": ("AUC（草稿 / 当前发布）", "AUC (draft / published)"),
    "lab.lift": ("最高级别提升度（草稿 / 当前发布）", "Top-tier lift (draft / published)"),
    "col.from": ("当前级别", "Current tier"),
    "col.to": ("新级别", "New tier"),
    "col.reasons": ("主要原因（维度：得分变化）", "Main reasons (dimension: points)"),
    "col.rule": ("触发规则", "Rule"),
    "col.override": ("人工调整", "Override"),
    "col.advisor": ("顾问", "Advisor"),
    "col.per_week": ("每周跟进次数", "Follow-ups per week"),
    "col.per_week_published": ("当前方案", "Published scheme"),
    "col.capacity": ("每周产能", "Weekly capacity"),
    "col.rate": ("后续转化/复购率", "Later conversion / repurchase"),
    "col.lift": ("提升度", "Lift"),
    "col.change_pts": ("变化", "Change"),
    "col.draft": ("草稿", "Draft"),
    "col.published": ("当前发布", "Published"),
    "col.dimension": ("维度", "Dimension"),
    "col.weight": ("权重", "Weight"),
    "lab.save": ("保存草稿", "Save draft"),
    "lab.name": ("方案名称", "Scheme name"),
    "lab.saved": ("已保存为第 {version} 版草稿。", "Saved as draft version {version}."),
    "lab.publish": ("发布…", "Publish…"),
    "lab.publish.managers_only": ("发布与回滚仅限经理。", "Only managers publish and roll back."),
    "lab.publish.title": ("确认发布", "Confirm publishing"),
    "lab.publish.body": (
        "将按此方案为 {n} 位客户写入新级别（{up} 人升级，{down} 人降级）。发布在一个事务里完成。",
        "This writes new tiers for {n} customers ({up} up, {down} down) in one transaction.",
    ),
    "lab.publish.confirm": ("确认发布", "Publish"),
    "lab.publish.cancel": ("取消", "Cancel"),
    "lab.published": (
        "已发布第 {version} 版，写入 {n} 条分级结果。",
        "Version {version} published: {n} assignments written.",
    ),
    "lab.failed": (
        "操作没有完成，数据库未做任何改动：{error}",
        "Not done, and nothing in the database was changed: {error}",
    ),
    "lab.versions": ("版本记录", "Versions"),
    "lab.rollback": ("回滚到所选版本", "Roll back to the chosen version"),
    "lab.rolled_back": (
        "已回滚：第 {version} 版重新发布，写入 {n} 条分级结果。",
        "Rolled back: version {version} published again, {n} assignments written.",
    ),
    "lab.compare": ("比较两个版本", "Compare two versions"),
    "lab.version_a": ("版本 A", "Version A"),
    "lab.version_b": ("版本 B", "Version B"),
    "col.version": ("版本", "Version"),
    "col.status": ("状态", "Status"),
    "col.created_by": ("创建人", "Created by"),
    "col.created_at": ("创建时间", "Created at"),
    "col.published_at": ("发布时间", "Published at"),
    "status.draft": ("草稿", "draft"),
    "status.published": ("已发布", "published"),
    "status.archived": ("已归档", "archived"),
    "problem.weights_sum": (
        "权重合计为 {total}%，需要正好 100%。",
        "Weights add up to {total}%; they must total exactly 100%.",
    ),
    "problem.weights_all_zero": (
        "至少要有一个维度的权重大于 0。",
        "At least one dimension needs a weight above 0.",
    ),
    "problem.weight_negative": ("维度 {name} 的权重不能为负数。", "The weight of {name} cannot be negative."),
    "problem.weight_not_number": (
        "维度 {name} 的权重不是有效数字。",
        "The weight of {name} is not a number.",
    ),
    "problem.dimension_unknown": ("数据中没有维度 {name}。", "The data has no dimension {name}."),
    "problem.normalisation_unknown": (
        "维度 {name} 的归一化方式无效。",
        "The normalisation of {name} is not valid.",
    ),
    "problem.direction_unknown": ("维度 {name} 的方向无效。", "The direction of {name} is not valid."),
    "problem.labels_too_few": ("至少需要两个级别。", "At least two tiers are needed."),
    "problem.labels_empty": ("级别名称不能为空。", "Tier labels cannot be empty."),
    "problem.labels_duplicate": ("级别名称不能重复。", "Tier labels must be different from each other."),
    "problem.cutoffs_count": (
        "占比的个数要与级别个数（{labels}）相同。",
        "Give one size per tier ({labels}).",
    ),
    "problem.cutoffs_positive": (
        "每级占比都要是大于 0 的数字。",
        "Every tier size must be a number above 0.",
    ),
    "problem.cutoffs_sum": (
        "各级占比合计为 {total}%，需要正好 100%。",
        "Tier sizes add up to {total}%; they must total exactly 100%.",
    ),
    "problem.thresholds_count": (
        "阈值个数要比级别（{labels}）少一个。",
        "Give one threshold fewer than tiers ({labels}).",
    ),
    "problem.thresholds_not_number": ("阈值必须是数字。", "Thresholds must be numbers."),
    "problem.thresholds_monotonic": (
        "阈值要从高到低严格递减。",
        "Thresholds must strictly decrease, highest first.",
    ),
    "problem.tiering_unknown": ("分级方式无效。", "The tier method is not valid."),
    "problem.trigger_unknown": ("预警规则 {rule} 不存在。", "There is no trigger rule {rule}."),
    "problem.trigger_population": (
        "预警规则 {rule} 不适用于这个人群。",
        "The trigger rule {rule} does not apply to this population.",
    ),
    "problem.trigger_tier_unknown": (
        "预警规则指定的级别 {tier} 不在级别名称中。",
        "The trigger's tier {tier} is not one of the tier labels.",
    ),
    "problem.population_unknown": ("人群无效。", "The population is not valid."),
    "problem.name_empty": ("请填写方案名称。", "Give the scheme a name."),
    # tables, downloads and the customers behind a figure (every analysis page)
    "download.csv": ("下载 CSV", "Download CSV"),
    "download.xlsx": ("下载 Excel", "Download Excel"),
    "drill.count_pii": ("显示 {shown} 位（共 {total} 条）。", "Showing {shown} of {total}."),
    "drill.none": ("这一项背后没有客户。", "No customers behind this figure."),
    "drill.count": (
        "显示 {shown} 位（共 {total} 条）；姓名和电话已脱敏。",
        "Showing {shown} of {total}; names and phones masked.",
    ),
    "drill.col.customer_id": ("客户编号", "Customer id"),
    "drill.col.name": ("姓名", "Name"),
    "drill.col.phone": ("电话", "Phone"),
    "drill.col.region": ("区域", "Region"),
    "drill.col.store": ("门店", "Store"),
    "drill.col.channel": ("渠道", "Channel"),
    "drill.col.advisor": ("销售顾问", "Advisor"),
    "drill.col.first_channel": ("首次来源渠道", "First channel"),
    "drill.col.intended_model": ("意向车型", "Intended model"),
    "drill.col.grade": ("意向级别", "Grade"),
    "drill.col.stage": ("最远阶段", "Furthest stage"),
    "drill.col.created_at": ("线索创建时间", "Lead created"),
    "drill.col.lead_id": ("线索编号", "Lead id"),
    # code vocabularies shown to users
    "tier_system.value_3": ("高价值/普通/流失风险", "High value / Normal / Churn risk"),
}

from dashboard.texts import admin as _admin  # noqa: E402
from dashboard.texts import auth as _auth  # noqa: E402
from dashboard.texts import channels as _channels  # noqa: E402
from dashboard.texts import data_import as _data_import  # noqa: E402
from dashboard.texts import defeats as _defeats  # noqa: E402
from dashboard.texts import followup as _followup  # noqa: E402
from dashboard.texts import funnel as _funnel  # noqa: E402
from dashboard.texts import lab_versions as _lab_versions  # noqa: E402
from dashboard.texts import periods as _periods  # noqa: E402
from dashboard.texts import regions as _regions  # noqa: E402
from dashboard.texts import review as _review  # noqa: E402
from dashboard.texts import tier_shares as _tier_shares  # noqa: E402
from dashboard.texts import views as _views  # noqa: E402

for _table in (
    _funnel.TEXT,
    _defeats.TEXT,
    _regions.TEXT,
    _channels.TEXT,
    _views.TEXT,
    _auth.TEXT,
    _review.TEXT,
    _data_import.TEXT,
    _admin.TEXT,
    _tier_shares.TEXT,
    _followup.TEXT,
    _periods.TEXT,
    _lab_versions.TEXT,
):
    _clash = set(_table) & set(TEXT)
    assert not _clash, f"text keys defined twice: {sorted(_clash)}"
    TEXT.update(_table)

REGION_FALLBACK = "—"


def language() -> str:
    lang = st.session_state.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **kwargs: object) -> str:
    """The text for ``key`` in the session's language, formatted with ``kwargs``."""
    zh, en = TEXT[key]
    text = en if language() == "en" else zh
    return text.format(**kwargs) if kwargs else text


def name_column() -> str:
    """Which column of a reference table (regions, stores, channels) holds the display name."""
    return "name_en" if language() == "en" else "name"


def coded(prefix: str, code: object) -> str:
    """Label of a code, e.g. ``coded("norm", "minmax")`` → t("norm.minmax"). Use with functools.partial as a
    widget's format_func: unlike a lambda it pickles, which serializable session state needs."""
    return t(f"{prefix}.{code}")

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
        "期内战败数 ÷（期内战败数 + 期内订车数）。",
        "Defeats in the period ÷ (defeats + orders in the period).",
    ),
    "kpi.overdue": ("逾期未跟进", "Overdue follow-ups"),
    "kpi.overdue.help": (
        "期末仍在跟进的线索中，距上次联系超过其级别跟进周期（H 3天、A 7天、B 15天、C 30天、O 7天）的数量。",
        "Leads open at the period's end whose last contact is older than their grade's cadence (H 3 days, A 7, B 15, C 30, O 7).",
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
    # code vocabularies shown to users
    "tier_system.value_3": ("高价值/普通/流失风险", "High value / Normal / Churn risk"),
}

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

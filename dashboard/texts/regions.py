"""Texts of the tiers-by-region page: key → (中文, English)."""

TEXT: dict[str, tuple[str, str]] = {
    "regions.page": ("区域分级分布", "Tiers by region"),
    "regions.title": ("区域分级分布", "Tiers by region"),
    "regions.caption": (
        "车主分级方案在 {end} 日终生效的级别，与一年前（{before} 日终）对比；门店、区域、渠道按客户的门店、"
        "所在区域和首次来源渠道筛选。",
        "The owners' tiers in force at the end of {end}, against one year before (end of {before}); store, region "
        "and channel filter the customer's store, home region and first channel.",
    ),
    "regions.nothing": (
        "所选日期及一年前都没有符合筛选条件的已分级客户。请调整日期范围或放宽门店/区域/渠道筛选，"
        "或先在评分实验室发布分级方案。",
        "No customer matching these filters had a tier at the period's end or one year before. Change the period, "
        "widen the store, region or channel filters, or publish a scheme in the scoring lab first.",
    ),
    "regions.side.now": ("{day}", "{day}"),
    "regions.short.now": ("期末", "Now"),
    "regions.short.before": ("一年前", "A year before"),
    "regions.side.before": ("{day}（一年前）", "{day} (a year before)"),
    "regions.yoy": ("各区域客户分级：同比", "Customers per region and tier, year over year"),
    "regions.yoy.help": (
        "每个区域一张小图：每个级别两根柱，浅色为一年前、深色为所选期末日终生效的级别，颜色按级别。"
        "占比 = 该级别客户数 ÷ 该区域已分级客户数；集中度 = 该区域的该级别客户数 ÷ 全部该级别客户数；"
        "变化 = 本期 − 一年前（占比以百分点计）。点击一根柱子，下方列出这些客户。",
        "One small chart per region: two bars per tier, the lighter one year before, the darker at the end of "
        "the period, coloured by tier. Share = the tier's customers ÷ the region's tiered customers; "
        "concentration = the region's customers of the tier ÷ all customers of that tier; change = now − a year "
        "before (shares in percentage points). Click a bar to list its customers below.",
    ),
    "regions.measure": ("显示", "Show"),
    "regions.measure.customers": ("客户数", "Customers"),
    "regions.measure.share": ("区域内占比", "Share within the region"),
    "regions.concentration": (
        "各级别的区域集中度（期末）",
        "Where each tier lives: concentration at the period's end",
    ),
    "regions.concentration.help": (
        "每一列是一个级别：该级别客户中各区域所占比例，每列合计 100%。",
        "One column per tier: the share of that tier's customers living in each region; each column adds up to "
        "100%.",
    ),
    "regions.drill": ("柱子背后的客户", "The customers behind a bar"),
    "regions.drill.help": (
        "选择区域、时间和级别（或点击上面的柱子）。姓名和电话已脱敏。",
        "Choose a region, a time and a tier (or click a bar above). Names and phones are masked.",
    ),
    "regions.drill.side": ("时间", "Time"),
    "regions.drill.count": (
        "{region} · {side} · {tier}：{n} 位客户",
        "{region} · {side} · {tier}: {n} customers",
    ),
    "regions.migration": ("级别迁移", "Tier migration"),
    "regions.migration.help": (
        "按日期：每位客户在第一个日期日终与第二个日期日终生效的级别。按方案版本：每位客户在两个已发布版本中"
        "最近一次得到的级别。某一侧没有级别的客户记为“未分级”。",
        "By dates: each customer's tier in force at the end of the first day against the end of the second. By "
        "versions: each customer's latest tier from two published scheme versions. A customer without a tier on "
        'one side is "untiered" there.',
    ),
    "regions.migration.mode": ("比较", "Compare"),
    "regions.mode.dates": ("两个日期", "Two dates"),
    "regions.mode.versions": ("两个方案版本", "Two scheme versions"),
    "regions.migration.region": ("区域", "Region"),
    "regions.migration.all": ("全部区域", "All regions"),
    "regions.migration.from_day": ("从（日终）", "From (end of day)"),
    "regions.migration.to_day": ("到（日终）", "To (end of day)"),
    "regions.migration.population": ("人群", "Population"),
    "regions.population.owners": ("车主", "Owners"),
    "regions.population.leads": ("在途线索客户", "Open leads"),
    "regions.migration.versions": ("方案版本（选两个）", "Scheme versions (choose two)"),
    "regions.version": ("第 {v} 版 {name}", "version {v} {name}"),
    "regions.migration.one_version": (
        "这个人群只发布过 {n} 个方案版本，至少需要两个才能比较；请改为按日期比较。",
        "This population has {n} published scheme version(s); comparing needs two. Compare two dates instead.",
    ),
    "regions.migration.pick_two": ("请选择两个版本。", "Choose two versions."),
    "regions.migration.nothing": (
        "两侧都没有符合筛选条件的已分级客户。请换日期、版本或区域。",
        "No customer matching the filters has a tier on either side. Choose other dates, versions or region.",
    ),
    "regions.migration.caption": (
        "{a} → {b}：{n} 位客户，其中 {stay} 位级别未变。",
        "{a} → {b}: {n} customers, {stay} of them kept their tier.",
    ),
    "regions.migration.matrix": ("迁移矩阵", "Transition matrix"),
    "regions.migration.sankey": ("桑基图", "Sankey"),
    "regions.migration.from": ("原级别", "From"),
    "regions.migration.to": ("新级别", "To"),
    "regions.migration.members": (
        "{a} → {b}：{n} 位客户",
        "{a} → {b}: {n} customers",
    ),
    "regions.col.region": ("区域", "Region"),
    "regions.col.tier": ("级别", "Tier"),
    "regions.col.customers_before": ("一年前客户数", "Customers a year before"),
    "regions.col.customers": ("期末客户数", "Customers now"),
    "regions.col.change": ("变化", "Change"),
    "regions.col.share_before": ("一年前区域内占比", "Share a year before"),
    "regions.col.share": ("期末区域内占比", "Share now"),
    "regions.col.share_change": ("占比变化（百分点）", "Share change (pp)"),
    "regions.col.concentration_before": ("一年前集中度", "Concentration a year before"),
    "regions.col.concentration": ("期末集中度", "Concentration now"),
    "regions.col.concentration_change": ("集中度变化（百分点）", "Concentration change (pp)"),
    "regions.col.customer_id": ("客户编号", "Customer id"),
    "regions.col.name": ("姓名", "Name"),
    "regions.col.phone": ("电话", "Phone"),
    "regions.col.store": ("门店", "Store"),
}

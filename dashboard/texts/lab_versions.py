"""Texts of the scoring lab's versions panel (load a version into the draft, confirm a publish or a rollback
with what changes, compare two versions): key → (中文, English)."""

TEXT: dict[str, tuple[str, str]] = {
    "labv.load": ("载入到草稿", "Load into the draft"),
    "labv.load.help": (
        "把所选版本的权重、分级规则和触发规则放进上方的滑块和输入框，可调整后保存或发布。",
        "Puts the chosen version's weights, tier rule and triggers into the sliders and fields above, to adjust, "
        "save or publish.",
    ),
    "labv.loaded": (
        "已把第 {version} 版（{name}）载入草稿：上方的滑块和预览现在是这个版本。",
        "Version {version} ({name}) is loaded into the draft: the sliders and the preview above now show it.",
    ),
    "labv.publish": ("发布所选草稿…", "Publish the chosen draft…"),
    "labv.rollback": ("回滚到所选版本…", "Roll back to the chosen version…"),
    "labv.publish.title": ("确认发布第 {version} 版", "Confirm publishing version {version}"),
    "labv.rollback.title": ("确认回滚到第 {version} 版", "Confirm rolling back to version {version}"),
    "labv.confirm.body": (
        "第 {version} 版（{name}）将按今天的数据为 {n} 位客户写入新级别：与当前发布的级别相比 {up} 人升级，"
        "{down} 人降级，{same} 人不变。发布在一个事务里完成。",
        "Version {version} ({name}) writes new tiers for {n} customers on today's data: against the tiers "
        "published now, {up} move up, {down} move down, {same} stay. It is written in one transaction.",
    ),
    "labv.confirm.publish": ("确认发布", "Publish"),
    "labv.confirm.rollback": ("确认回滚", "Roll back"),
    "labv.confirm.not_scorable": (
        "第 {version} 版无法在今天的数据上计算：{error}",
        "Version {version} cannot be scored on today's data: {error}",
    ),
    "labv.published": (
        "已发布第 {version} 版，写入 {n} 条分级结果。",
        "Version {version} published: {n} assignments written.",
    ),
    "labv.cmp.shares": ("按今天的数据：各级别人数与占比", "On today's data: customers and share per tier"),
    "labv.cmp.moved": (
        "从版本 A 换成版本 B：{up} 人升级，{down} 人降级，{same} 人不变。",
        "From version A to version B: {up} move up, {down} move down, {same} stay.",
    ),
    "labv.cmp.transition": (
        "按今天的数据：行为版本 A 的级别，列为版本 B 的级别",
        "On today's data: rows are version A's tier, columns version B's",
    ),
    "labv.cmp.stored": (
        "已写入的分级结果：行为版本 A 最近一次写入的级别，列为版本 B 的",
        "Written assignments: rows are version A's latest tier, columns version B's",
    ),
    "labv.cmp.weights": ("权重", "Weights"),
    "labv.col.a_share": ("A 占比", "A share"),
    "labv.col.b_share": ("B 占比", "B share"),
}

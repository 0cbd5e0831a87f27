"""Texts of the import's problems and reports: key → (中文, English).

Core code (CLI, downloadable reports) uses them directly through ``text``; the page's own texts are in
``dashboard/texts/data_import.py``. Each row problem has a ``fix.<code>`` saying how to fix it.
"""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    # file-level problems (the whole file is rejected)
    "file.encoding": (
        "无法识别文件编码（不是 UTF-8、UTF-16 或 GBK/GB18030）。",
        "The file's encoding is not UTF-8, UTF-16 or GBK/GB18030.",
    ),
    "file.binary": (
        "文件不是文本表格（含二进制内容）。",
        "The file is not a text table (it holds binary data).",
    ),
    "file.empty": ("文件是空的。", "The file is empty."),
    "file.no_rows": ("文件只有表头，没有数据行。", "The file has a header but no data rows."),
    "file.csv_syntax": ("CSV 格式有误：{detail}", "The CSV is malformed: {detail}"),
    "file.xlsx": ("无法读取 Excel 文件：{detail}", "The Excel file cannot be read: {detail}"),
    "file.too_large": ("文件超过 {limit_mb} MB。", "The file is larger than {limit_mb} MB."),
    "file.blank_header": (
        "第 {column} 列有数据但没有表头。",
        "Column {column} holds data but has no header.",
    ),
    "file.duplicate_header": ("表头重复：{columns}", "Headers appear more than once: {columns}"),
    "file.huge_field": (
        "第 {row} 行「{column}」列的内容超过 {limit} 个字符，文件可能已损坏。",
        "Row {row}, column '{column}' is longer than {limit} characters; the file is probably broken.",
    ),
    "file.huge_line": (
        "第 {row} 行超过 {limit} 字节，文件可能已损坏。",
        "Line {row} is longer than {limit} bytes; the file is probably broken.",
    ),
    "file.too_many_columns": (
        "文件超过 {limit} 列，不是客户管理系统的导出表。",
        "The file has more than {limit} columns; it is not a CRM export.",
    ),
    "file.too_many_rows": (
        "文件超过 {limit} 行，请拆分成几个文件分别导入。",
        "The file has more than {limit} rows; split it into several files.",
    ),
    "file.xlsx_unpacked": (
        "Excel 文件解压后有 {size_mb} MB，超过 {limit_mb} MB，请另存为 CSV 或拆分。",
        "The Excel file unpacks to {size_mb} MB, more than {limit_mb} MB; save it as CSV or split it.",
    ),
    "file.xlsx_ratio": (
        "Excel 文件的「{part}」压缩了 {ratio} 倍，不像真实的表格（可能是压缩炸弹）。",
        "Part '{part}' of the Excel file is compressed {ratio} times, unlike a real sheet (a zip bomb?).",
    ),
    "file.one_column": (
        "文件被读成只有一列「{header}」：分隔符不是逗号、分号、制表符、| 或对齐的空格。",
        "The file was read as one column '{header}': its separator is not a comma, semicolon, tab, | or "
        "aligned spaces.",
    ),
    "fix.file": (
        "请在 Excel 中另存为「CSV UTF-8」或 .xlsx，第一行为表头，然后重新上传。",
        "Save it from Excel as 'CSV UTF-8' or .xlsx with the headers in the first row, then upload again.",
    ),
    # mapping problems
    "mapping.kind": (
        "未知的导入类型「{kind}」，可选：{known}",
        "Unknown kind of import '{kind}'; choose one of {known}",
    ),
    "mapping.kind_mismatch": (
        "映射文件是「{file}」的，但导入类型是「{kind}」。",
        "The mapping file is for '{file}' but the import is '{kind}'.",
    ),
    "mapping.field": (
        "映射中有未知字段「{field}」，可用字段：{known}",
        "The mapping names an unknown field '{field}'; fields: {known}",
    ),
    "mapping.column": (
        "字段「{field}」对应的列「{column}」不在文件中。文件的列：{headers}",
        "Column '{column}' (for field '{field}') is not in the file. The file's columns: {headers}",
    ),
    "mapping.required": (
        "必填字段「{field}」没有对应的列。",
        "The required field '{field}' is not mapped to a column.",
    ),
    "mapping.no_key": (
        "请至少为 {fields} 之一指定一列，用来识别客户。",
        "Map at least one of {fields}, so that rows can name their customer.",
    ),
    "mapping.date_order": (
        "date_order 只能是 DMY 或 MDY，而不是「{value}」。",
        "date_order must be DMY or MDY, not '{value}'.",
    ),
    "mapping.shape": (
        "映射文件格式不对：需要 JSON 对象，含 columns。",
        "The mapping is not a JSON object with 'columns'.",
    ),
    "mapping.unreadable": (
        "无法读取映射文件 {path}：{detail}",
        "Cannot read the mapping file {path}: {detail}",
    ),
    "mapping.json": (
        "映射文件 {path} 不是有效的 JSON：{detail}",
        "The mapping file {path} is not valid JSON: {detail}",
    ),
    "fix.mapping": (
        "请在「列映射」中为该字段选择正确的列。",
        "Choose the right column for that field under column mapping.",
    ),
    # row problems
    "bad_date": ("不是可识别的日期", "not a date"),
    "fix.bad_date": (
        "写成 2024-03-05、2024/3/5 或 2024年3月5日。",
        "Write it as 2024-03-05, 2024/3/5 or 2024年3月5日.",
    ),
    "bad_phone": ("不是电话号码", "not a phone number"),
    "fix.bad_phone": (
        "填 7–15 位数字，可带 +86、空格或短横线；Excel 中请把该列设为文本格式。",
        "Use 7–15 digits, optionally with +86, spaces or dashes; in Excel format the column as text.",
    ),
    "bad_amount": ("不是有效金额", "not an amount"),
    "fix.bad_amount": (
        "填不小于 0 的数字，如 128000、128,000 或 12.8万。",
        "Use a number of 0 or more, e.g. 128000, 128,000 or 12.8万.",
    ),
    "bad_bool": ("不是 是/否", "not yes/no"),
    "fix.bad_bool": ("填 是/否、Y/N 或 1/0。", "Use 是/否, yes/no, Y/N or 1/0."),
    "bad_code": ("不是可识别的取值", "not one of the known values"),
    "fix.bad_code": ("改为以下之一：{allowed}", "Use one of: {allowed}"),
    "bad_stage": ("不是可识别的漏斗阶段", "not a funnel stage"),
    "fix.bad_stage": ("改为以下之一：{allowed}", "Use one of: {allowed}"),
    "too_long": ("内容过长", "too long"),
    "fix.too_long": ("最多 {limit} 个字符。", "At most {limit} characters."),
    "missing": ("必填项为空", "required but empty"),
    "fix.missing": ("填写该列，或删除这一行。", "Fill it in, or remove the row."),
    "no_customer_key": ("没有客户编号也没有手机号", "neither a customer id nor a phone number"),
    "fix.no_customer_key": (
        "填写客户编号或手机号，用来识别客户。",
        "Fill in the customer id or the phone number, so the customer can be found.",
    ),
    "unknown_ref": ("数据库中没有这个名称", "not known in the database"),
    "fix.unknown_ref": ("改为已有的名称之一：{known}", "Use one of the known names: {known}"),
    "unknown_lead": ("找不到该商机编号", "no lead has this id"),
    "fix.unknown_lead": ("先导入商机，或改正商机编号。", "Import the leads first, or correct the lead id."),
    "advisor_store": ("新的销售顾问需要门店", "a new advisor needs a store"),
    "fix.advisor_store": (
        "在这一行填写门店，或改为已有的顾问姓名。",
        "Fill in the store on this row, or use a known advisor's name.",
    ),
    "key_taken": ("该编号已用于另一个商机的记录", "this id is already used for another lead's record"),
    "fix.key_taken": (
        "每条记录用不同的编号；同一商机的记录用同一个编号。",
        "Give each record its own id; the records of one lead share one id.",
    ),
    "short_row": (
        "这一行只有 {fields} 个字段，表头有 {expected} 个（行被截断或少了分隔符）",
        "this line has {fields} fields where the header has {expected} (cut off, or separators missing)",
    ),
    "fix.short_row": (
        "补全这一行缺少的字段（空值也要保留分隔符），或删除这一行。",
        "Complete the line's missing fields (keep the separators of empty cells), or remove the line.",
    ),
    # the command line's own "how to fix" (it names the flag or mapping key; the page names its widgets)
    "cli.fix.file": (
        "请在 Excel 中另存为「CSV UTF-8」或 .xlsx，第一行为表头，然后重新运行命令。",
        "Save it from Excel as 'CSV UTF-8' or .xlsx with the headers in the first row, then run the command "
        "again.",
    ),
    "cli.fix.file.one_column": (
        "另存为以逗号分隔的 CSV（或 .xlsx），然后重新运行命令。",
        "Save it as a comma-separated CSV (or .xlsx), then run the command again.",
    ),
    "cli.fix.mapping": (
        '在 --mapping MAP.json 文件的 "columns" 中为字段指定表头（示例见 core/io/importing/mappings）。',
        'Name the field\'s header under "columns" in a mapping file, --mapping MAP.json (examples in '
        "core/io/importing/mappings).",
    ),
    "cli.fix.mapping.kind": ("用 --kind 选择上面列出的类型之一。", "Use --kind with one of the kinds above."),
    "cli.fix.mapping.kind_mismatch": (
        '让 --kind 与映射文件中的 "kind" 一致。',
        'Make --kind and the mapping file\'s "kind" agree.',
    ),
    "cli.fix.mapping.field": (
        '在映射文件的 "columns"、"values"、"defaults"、"excel_serials" 中只用上面列出的字段名。',
        'Use only the fields listed above as keys of "columns", "values", "defaults" and "excel_serials" in '
        "the mapping file.",
    ),
    "cli.fix.mapping.required": (
        '在 --mapping 文件的 "columns" 中为该字段指定表头，或在 "defaults" 中给出一个值。',
        'Map the field to a header under "columns" in the --mapping file, or give it a value under "defaults".',
    ),
    "cli.fix.mapping.no_key": (
        '在 --mapping 文件的 "columns" 中为其中一个字段指定表头。',
        'Map one of them to a header under "columns" in the --mapping file.',
    ),
    "cli.fix.mapping.date_order": (
        '在 --mapping 文件中写 "date_order": "DMY" 或 "MDY"。',
        'Write "date_order": "DMY" or "MDY" in the --mapping file.',
    ),
    "cli.fix.bad_date": (
        '写成 2024-03-05、2024/3/5 或 2024年3月5日；日/月/年 的文件在 --mapping 中写 "date_order": "DMY"；'
        'Excel 序列号日期把字段列入 "excel_serials"。',
        'Write it as 2024-03-05, 2024/3/5 or 2024年3月5日; for day-first files write "date_order": "DMY" in the '
        '--mapping file; for Excel serial numbers list the field under "excel_serials".',
    ),
    "cli.fix.bad_code": (
        '改为以下之一：{allowed}；或在 --mapping 文件的 "values" 中翻译文件里的写法。',
        'Use one of: {allowed}; or translate the file\'s words under "values" in the --mapping file.',
    ),
    "cli.fix.bad_stage": (
        '改为以下之一：{allowed}；或在 --mapping 文件的 "values" 中翻译文件里的写法。',
        'Use one of: {allowed}; or translate the file\'s words under "values" in the --mapping file.',
    ),
    "cli.fix.unknown_ref": (
        "改为已有的名称之一：{known}；或去掉 --no-create 以新建。",
        "Use one of the known names: {known}; or leave out --no-create to create it.",
    ),
    "cli.fix.missing": (
        '填写该列、删除这一行，或在 --mapping 文件的 "defaults" 中给出默认值。',
        'Fill it in, remove the row, or give a value under "defaults" in the --mapping file.',
    ),
    # report columns
    "report.row": ("行号", "Row"),
    "report.column": ("列", "Column"),
    "report.value": ("值", "Value"),
    "report.problem": ("问题", "Problem"),
    "report.fix": ("修改方法", "How to fix"),
    "report.file": ("整个文件", "whole file"),
}


def text(key: str, lang: str = "zh", **params: object) -> str:
    """A message in Chinese (``zh``) or English (``en``), formatted with ``params``.

    Examples
    --------
    >>> text("fix.too_long", "en", limit=64)
    'At most 64 characters.'
    >>> text("bad_phone")
    '不是电话号码'
    """
    zh, en = TEXT[key]
    out = en if lang == "en" else zh
    return out.format(**params) if params else out

"""What each kind of file holds: its fields, their types, and the header names (Chinese and English) that
suggest them. Vocabularies map the words people type (男, 电话, 保养, Won …) to the model's codes."""

from __future__ import annotations

from dataclasses import dataclass

from core.storage.models import FUNNEL_STAGES

KINDS = ("customers", "leads", "followups", "purchases", "defeats", "spend")
REF_TABLES = {"region": "regions", "store": "stores", "channel": "channels", "advisor": "advisors"}


@dataclass(frozen=True)
class Field:
    """One importable field: ``type`` is text / key / phone / date / datetime / month / amount /
    signed_amount / bool / code / stage / ref; ``ref`` names the reference (region, store, channel, advisor)."""

    name: str
    type: str
    synonyms: tuple[str, ...] = ()
    required: bool = False
    length: int | None = None
    vocab: str | None = None
    ref: str | None = None


def _v(pairs: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out = {}
    for code, words in pairs.items():
        out[code] = code
        for w in words:
            out[w] = code
    return out


VOCABS: dict[str, dict[str, str]] = {
    "customer_kind": _v(
        {
            "person": ("个人", "个人客户", "私人", "individual"),
            "sole_trader": ("个体工商户", "个体户", "个体", "sole trader"),
            "enterprise": ("企业", "公司", "企业客户", "company", "business"),
            "government": ("政府机关", "政府", "事业单位", "gov"),
            "leasing": ("租赁公司", "租赁", "lease"),
        }
    ),
    "gender": _v({"M": ("男", "男性", "male", "先生", "m"), "F": ("女", "女性", "female", "女士", "f")}),
    "grade": _v({g: (g.lower(), f"{g}级") for g in ("H", "A", "B", "C", "O", "D", "M")}),
    "status": _v(
        {
            "open": ("跟进中", "进行中", "未成交", "在跟", "engaging", "prospecting", "active"),
            "won": ("成交", "已成交", "赢单", "订车", "交车", "won", "closed won"),
            "defeated": ("战败", "已战败", "输单", "流失", "lost", "closed lost"),
        }
    ),
    "followup_kind": _v(
        {
            "call": ("电话", "致电", "去电", "来电", "phone", "phone call"),
            "wechat": ("微信", "企业微信", "weixin"),
            "sms": ("短信", "text", "message"),
            "visit": ("到店", "拜访", "上门", "面谈", "store visit"),
        }
    ),
    "followup_outcome": _v(
        {
            "reached": ("接通", "已接通", "联系上", "answered"),
            "no_answer": ("未接通", "未接", "无人接听", "关机", "no answer", "not reached"),
            "replied": ("已回复", "回复", "reply"),
            "no_reply": ("未回复", "no response"),
            "visited": ("已到店", "到店", "visit"),
        }
    ),
    "purchase_kind": _v(
        {
            "new_car": ("新车", "购车", "整车", "新车销售", "car", "new car", "vehicle"),
            "maintenance": ("保养", "首保", "定保", "service"),
            "repair": ("维修", "钣喷", "事故车"),
            "insurance": ("保险", "续保", "车险"),
            "finance": ("金融", "贷款", "按揭", "loan"),
            "accessories": ("精品", "附件", "装潢", "加装", "accessory"),
        }
    ),
    "defeat_reason": _v(
        {
            "price": ("价格", "价格因素", "太贵", "贵"),
            "competitor": ("竞品", "购买竞品", "竞争对手"),
            "model": ("车型", "配置", "车型/配置", "车型配置", "equipment"),
            "service": ("服务", "服务体验", "服务态度"),
            "finance": ("金融", "金融方案", "贷款", "financing"),
            "delivery_time": ("交付", "交付时间", "交车时间", "提车时间", "delivery"),
            "unclear_need": ("需求不明确", "借口", "需求不明确/借口", "unclear", "excuse"),
        }
    ),
    "price_sub_reason": _v(
        {
            "positioned_high": ("定位高", "定价高"),
            "dealer_markup": ("经销商加价", "加价"),
            "price_war": ("竞价销售", "价格战"),
            "promotion_mismatch": ("促销口径不一致", "促销不一致"),
            "excuse": ("借口",),
            "need_misread": ("需求把握不准",),
        }
    ),
}
STAGE_WORDS = {
    "lead": ("线索", "新线索", "留资", "潜客", "prospecting", "new"),
    "first_contact": ("首次接触", "首次联系", "已联系", "接触", "engaging", "contacted"),
    "needs": ("需求分析", "需求", "needs analysis"),
    "visit": ("邀约到店", "到店", "已到店", "store visit"),
    "test_drive": ("试乘试驾", "试驾", "test drive"),
    "quote": ("报价谈判", "报价", "谈判", "negotiation"),
    "order": ("签约成交", "订车", "签约", "成交", "won"),
    "delivery": ("交车", "已交车", "delivered"),
}
STAGE_VOCAB = {**_v(STAGE_WORDS), **{str(i): s for i, s in enumerate(FUNNEL_STAGES)}}
VOCABS["stage"] = STAGE_VOCAB

_CUSTOMER_ID = (
    "客户编号",
    "客户id",
    "客户代码",
    "会员号",
    "客户号",
    "customer id",
    "customer_id",
    "customer no",
    "account",
)
_PHONE = (
    "手机号",
    "手机",
    "电话",
    "联系电话",
    "联系方式",
    "手机号码",
    "电话号码",
    "phone",
    "mobile",
    "tel",
    "telephone",
    "phone number",
    "cell",
)
_CUSTOMER_NAME = ("客户姓名", "客户名称", "客户", "姓名", "customer name", "customer", "name", "full name")
_STORE = (
    "门店",
    "所属门店",
    "店",
    "4s店",
    "经销商",
    "门店名称",
    "store",
    "dealer",
    "dealer name",
    "dealer_name",
    "showroom",
    "branch",
)
_CHANNEL = ("渠道", "线索渠道", "来源", "线索来源", "来源渠道", "channel", "source", "lead source")
_ADVISOR = (
    "销售顾问",
    "顾问",
    "负责人",
    "跟进人",
    "销售",
    "advisor",
    "sales agent",
    "salesperson",
    "sales rep",
    "consultant",
)
_REGION = ("区域", "地区", "所在区域", "区县", "片区", "region", "area", "district", "dealer_region")

CUSTOMER_REF = (
    Field("customer_external_id", "key", _CUSTOMER_ID, length=64),
    Field("customer_phone", "phone", _PHONE),
    Field("customer_name", "text", _CUSTOMER_NAME, length=128),
)

FIELDS: dict[str, tuple[Field, ...]] = {
    "customers": (
        Field("external_id", "key", _CUSTOMER_ID + ("编号", "id", "external id"), length=64),
        Field(
            "name",
            "text",
            ("姓名", "客户姓名", "客户名称", "名称", "name", "customer name", "full name"),
            length=128,
        ),
        Field("phone", "phone", _PHONE),
        Field(
            "kind",
            "code",
            ("客户类型", "客户性质", "类型", "customer type", "kind", "type"),
            vocab="customer_kind",
        ),
        Field("gender", "code", ("性别", "gender", "sex"), vocab="gender"),
        Field("birth_date", "date", ("生日", "出生日期", "birthday", "birth date", "date of birth", "dob")),
        Field("region", "ref", _REGION + ("city",), ref="region"),
        Field("store", "ref", _STORE, ref="store"),
        Field("advisor", "ref", _ADVISOR, ref="advisor"),
        Field("first_channel", "ref", _CHANNEL + ("首次来源",), ref="channel"),
        Field("intended_model", "text", ("意向车型", "车型", "intended model", "model"), length=64),
        Field("budget_range", "text", ("预算", "购车预算", "budget"), length=32),
        Field("purpose", "text", ("用途", "购车用途", "purpose"), length=32),
        Field("is_owner", "bool", ("是否车主", "车主", "is owner", "owner")),
        Field(
            "created_at",
            "datetime",
            (
                "创建时间",
                "建档时间",
                "建档日期",
                "登记日期",
                "创建日期",
                "created",
                "created at",
                "date created",
            ),
        ),
    ),
    "leads": (
        Field(
            "external_id",
            "key",
            (
                "商机编号",
                "线索编号",
                "线索id",
                "商机id",
                "lead id",
                "opportunity id",
                "opportunity_id",
                "lead number",
            ),
            length=64,
        ),
        *CUSTOMER_REF,
        Field("store", "ref", _STORE, required=True, ref="store"),
        Field("channel", "ref", _CHANNEL, required=True, ref="channel"),
        Field("advisor", "ref", _ADVISOR, ref="advisor"),
        Field(
            "intended_model", "text", ("意向车型", "车型", "intended model", "model", "product"), length=64
        ),
        Field(
            "grade",
            "code",
            ("意向级别", "级别", "客户级别", "线索级别", "grade", "rating", "lead grade"),
            vocab="grade",
        ),
        Field("status", "code", ("状态", "商机状态", "线索状态", "status"), vocab="status"),
        Field(
            "stage",
            "stage",
            ("阶段", "销售阶段", "漏斗阶段", "商机阶段", "stage", "deal stage", "deal_stage"),
        ),
        Field(
            "created_at",
            "datetime",
            ("创建时间", "线索创建时间", "留资时间", "创建日期", "日期", "created", "created at", "date"),
            required=True,
        ),
        Field(
            "first_contact_at",
            "datetime",
            ("首次接触时间", "首次联系时间", "first contact", "engage date", "engage_date"),
        ),
        Field("needs_at", "datetime", ("需求分析时间",)),
        Field("visit_at", "datetime", ("到店时间", "邀约到店时间", "visit date")),
        Field("test_drive_at", "datetime", ("试驾时间", "试乘试驾时间", "test drive date")),
        Field("quote_at", "datetime", ("报价时间",)),
        Field("order_at", "datetime", ("订车时间", "签约时间", "成交时间", "order date", "won date")),
        Field("delivery_at", "datetime", ("交车时间", "delivery date")),
        Field("defeated_at", "datetime", ("战败时间", "lost date")),
        Field("expected_purchase_date", "date", ("预计购车日期", "预计购车时间", "expected purchase")),
        Field("last_contact_at", "datetime", ("最近联系时间", "最后跟进时间", "last contact")),
        Field("asked_competitor", "bool", ("询问竞品", "是否询问竞品", "asked competitor")),
    ),
    "followups": (
        Field(
            "external_id", "key", ("跟进编号", "跟进id", "记录编号", "follow-up id", "followup id"), length=64
        ),
        *CUSTOMER_REF,
        Field("lead_external_id", "key", ("商机编号", "线索编号", "lead id", "opportunity id"), length=64),
        Field("store", "ref", _STORE, ref="store"),
        Field("advisor", "ref", _ADVISOR, ref="advisor"),
        Field(
            "at",
            "datetime",
            ("跟进时间", "跟进日期", "联系时间", "时间", "日期", "date", "time", "at"),
            required=True,
        ),
        Field(
            "kind",
            "code",
            ("跟进方式", "方式", "联系方式类型", "method", "type", "kind"),
            vocab="followup_kind",
            required=True,
        ),
        Field("outcome", "code", ("跟进结果", "结果", "outcome", "result"), vocab="followup_outcome"),
        Field("responded", "bool", ("是否回应", "有回应", "responded")),
        Field("note", "text", ("备注", "跟进内容", "内容", "note", "notes", "comment"), length=10_000),
    ),
    "purchases": (
        Field(
            "external_id",
            "key",
            ("订单号", "单号", "消费编号", "工单号", "order id", "invoice", "car_id", "purchase id"),
            length=64,
        ),
        *CUSTOMER_REF,
        Field("lead_external_id", "key", ("商机编号", "线索编号", "lead id"), length=64),
        Field("store", "ref", _STORE, required=True, ref="store"),
        Field(
            "kind", "code", ("消费类型", "业务类型", "类型", "项目", "kind", "type"), vocab="purchase_kind"
        ),
        Field(
            "at", "date", ("消费日期", "购车日期", "开票日期", "日期", "date", "purchase date"), required=True
        ),
        Field(
            "amount",
            "amount",
            ("金额", "消费金额", "成交价", "价格", "实收金额", "amount", "price", "price ($)", "total"),
            required=True,
        ),
        Field("gross_profit", "signed_amount", ("毛利", "毛利润", "gross profit", "margin")),
        Field("model", "text", ("车型", "model", "vehicle model"), length=64),
    ),
    "defeats": (
        Field("external_id", "key", ("战败编号", "战败id", "defeat id"), length=64),
        Field(
            "lead_external_id",
            "key",
            ("商机编号", "线索编号", "lead id", "opportunity id", "opportunity_id"),
            required=True,
            length=64,
        ),
        Field("advisor", "ref", _ADVISOR, ref="advisor"),
        Field("at", "datetime", ("战败时间", "战败日期", "日期", "date", "lost date"), required=True),
        Field("stage_lost", "stage", ("战败阶段", "流失阶段", "stage lost", "stage")),
        Field(
            "reason",
            "code",
            ("战败原因", "原因", "reason", "lost reason"),
            vocab="defeat_reason",
            required=True,
        ),
        Field(
            "sub_reason",
            "code",
            ("细分原因", "子原因", "价格细分原因", "sub reason"),
            vocab="price_sub_reason",
        ),
        Field("competitor_brand", "text", ("竞品品牌", "竞品", "competitor", "competitor brand"), length=64),
        Field("competitor_model", "text", ("竞品车型", "competitor model"), length=64),
        Field("reactivated", "bool", ("是否激活", "已激活", "再次激活", "reactivated")),
        Field("reactivated_at", "datetime", ("激活时间", "reactivated at")),
    ),
    "spend": (
        Field("channel", "ref", _CHANNEL, required=True, ref="channel"),
        Field("store", "ref", _STORE, required=True, ref="store"),
        Field("month", "month", ("月份", "月", "投放月份", "日期", "month", "date"), required=True),
        Field(
            "amount", "amount", ("费用", "投放费用", "花费", "金额", "spend", "cost", "amount"), required=True
        ),
    ),
}


def fields(kind: str) -> tuple[Field, ...]:
    """The fields of a kind of file.

    Examples
    --------
    >>> [f.name for f in fields("spend")]
    ['channel', 'store', 'month', 'amount']
    """
    return FIELDS[kind]


def field(kind: str, name: str) -> Field:
    return next(f for f in FIELDS[kind] if f.name == name)

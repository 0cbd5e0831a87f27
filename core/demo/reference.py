"""Reference data of the demo dealer group: regions, stores, channels, models, competitors, names."""

from __future__ import annotations

# code, 中文, English, share of customers living there
REGIONS = [
    ("huicheng", "惠城区", "Huicheng", 0.30),
    ("boluo", "博罗县", "Boluo", 0.17),
    ("huiyang", "惠阳区", "Huiyang", 0.18),
    ("dayawan", "大亚湾区", "Dayawan", 0.12),
    ("huidong", "惠东县", "Huidong", 0.15),
    ("longmen", "龙门县", "Longmen", 0.08),
]

# code, 中文, English, region code; customers of a region go to the store listed for it (see REGION_STORE)
STORES = [
    ("HC01", "惠州惠城4S店", "Huicheng 4S store", "huicheng"),
    ("HY01", "惠阳淡水4S店", "Huiyang Danshui 4S store", "huiyang"),
    ("BL01", "博罗罗阳4S店", "Boluo Luoyang 4S store", "boluo"),
]
REGION_STORE = {
    "huicheng": "HC01",
    "longmen": "HC01",
    "huiyang": "HY01",
    "dayawan": "HY01",
    "huidong": "HY01",
    "boluo": "BL01",
}
BRAND = "江铃"

# code, 中文, English, cost model, cost per lead in yuan (per visit / per sale for those models, monthly
# amount per store for flat), share of leads, quality (log-odds added to every funnel step), online
CHANNELS = [
    ("autohome", "汽车之家", "Autohome", "per_lead", 180.0, 0.22, 0.00, True),
    ("dongchedi", "懂车帝", "Dongchedi", "per_lead", 150.0, 0.17, -0.05, True),
    ("yiche", "易车", "Yiche", "per_lead", 130.0, 0.10, -0.10, True),
    ("douyin", "抖音", "Douyin", "flat", 60000.0, 0.14, -0.35, True),
    ("wechat_mp", "微信小程序", "WeChat mini program", "flat", 15000.0, 0.07, 0.05, True),
    ("website", "官网留资", "Brand website", "flat", 20000.0, 0.06, 0.00, True),
    ("walk_in", "到店自然客流", "Walk-in", "none", 0.0, 0.12, 0.45, False),
    ("referral", "老客户转介绍", "Owner referral", "per_sale", 1000.0, 0.07, 0.70, False),
    ("event", "车展/活动", "Auto show / event", "per_visit", 350.0, 0.05, 0.15, False),
]

# model, price (yuan), gross margin, share of intent
MODELS = [
    ("域虎7", 128_000, 0.055, 0.22),
    ("域虎9", 168_000, 0.060, 0.14),
    ("福顺", 110_000, 0.045, 0.14),
    ("特顺", 150_000, 0.050, 0.12),
    ("宝典", 92_000, 0.040, 0.12),
    ("大道", 186_000, 0.065, 0.10),
    ("江铃E路顺", 138_000, 0.050, 0.08),
    ("全顺", 205_000, 0.070, 0.08),
]

COMPETITORS = [
    ("长城", "长城炮"),
    ("长城", "风骏7"),
    ("上汽大通", "T90"),
    ("日产", "纳瓦拉"),
    ("五十铃", "D-MAX"),
    ("福田", "拓陆者"),
    ("比亚迪", "宋PLUS"),
    ("吉利", "星越L"),
]

# 战败 reasons: price first, as the articles report
DEFEAT_REASON_SHARES = [
    ("price", 0.36),
    ("competitor", 0.21),
    ("model", 0.13),
    ("service", 0.08),
    ("finance", 0.08),
    ("delivery_time", 0.05),
    ("unclear_need", 0.09),
]
PRICE_SUB_REASON_SHARES = [
    ("positioned_high", 0.24),
    ("dealer_markup", 0.20),
    ("price_war", 0.18),
    ("promotion_mismatch", 0.12),
    ("excuse", 0.16),
    ("need_misread", 0.10),
]

CUSTOMER_KIND_SHARES = [
    ("person", 0.80),
    ("sole_trader", 0.10),
    ("enterprise", 0.06),
    ("government", 0.01),
    ("leasing", 0.03),
]
BUDGETS = ["10万以下", "10-15万", "15-20万", "20-30万", "30万以上"]
PURPOSES = ["家用", "商用", "家商两用", "公务", "租赁运营"]
EVENTS = ["车主俱乐部自驾游", "新车品鉴会", "保养节", "亲子嘉年华", "团购会"]

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志宏海波鹏辉俊峰斌浩宇欣怡晨阳佳琪子涵"
)
COMPANY_PREFIX = ["惠州市", "博罗县", "惠阳区", "广东", "大亚湾"]
COMPANY_WORDS = ["鑫达", "宏远", "华通", "利丰", "永盛", "恒泰", "顺发", "嘉禾", "金源", "联创"]
COMPANY_SUFFIX = {
    "sole_trader": "商行",
    "enterprise": "实业有限公司",
    "government": "公务车辆管理中心",
    "leasing": "汽车租赁有限公司",
}
ADVISOR_LEVELS = [("junior", 60), ("senior", 80), ("expert", 100)]

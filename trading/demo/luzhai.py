"""Names and fixed figures of the luzhai-2025h1 reproduction dataset (synthetic; towns are 鹿寨县's)."""

from __future__ import annotations

import random
from decimal import Decimal

D = Decimal

TARGETS = {
    "public_total": D("282046731.58"),     # → 2.82亿元
    "public_savings": D("5815703.26"),     # → 581.57万元
    "rural_deal_amount": D("4652918.60"),  # → 465.29万元
    "rural_listed_area": D("44.27"),
    "rural_listed_amount": D("6685812.40"),  # → 668.58万元
}

TOWNS = ("鹿寨镇", "中渡镇", "寨沙镇", "平山镇", "黄冕镇", "四排镇", "雒容镇", "拉沟乡", "导江乡", "江口乡")

PUBLIC_OWNERS = {
    "construction": ("lz_jtj", "鹿寨县交通运输局"),
    "procurement": ("lz_jyj", "鹿寨县教育局"),
    "state_asset": ("lz_ctgs", "鹿寨县城市建设投资有限公司"),
    "land_use": ("lz_zrzyj", "鹿寨县自然资源局"),
}

SUPPLIERS = [
    ("lz_s01", "广西鹿源建设工程有限公司"), ("lz_s02", "柳州市桂中路桥工程有限公司"),
    ("lz_s03", "广西洛清江水利水电工程有限公司"), ("lz_s04", "广西华耀建筑工程有限公司"),
    ("lz_s05", "柳州市创科教学设备有限公司"), ("lz_s06", "广西康宁医疗器械有限公司"),
    ("lz_s07", "柳州市信达网络科技有限公司"), ("lz_s08", "广西中渡园林绿化有限公司"),
    ("lz_s09", "广西桂鹿置业有限公司"), ("lz_s10", "鹿寨县鑫源贸易有限责任公司"),
    ("lz_s11", "广西柳南市政工程有限公司"), ("lz_s12", "柳州市安达消防设备有限公司"),
]

RURAL_OWNERS = [
    ("lz_v01", "寨沙镇龙田村"), ("lz_v02", "中渡镇大兆村"), ("lz_v03", "黄冕镇幽兰村"), ("lz_v04", "平山镇石墨村"),
    ("lz_v05", "四排镇思贤村"), ("lz_v06", "拉沟乡木龙村"), ("lz_v07", "江口乡江口村"), ("lz_v08", "导江乡长盛村"),
    ("lz_v09", "雒容镇古木村"), ("lz_v10", "鹿寨镇波井村"), ("lz_v11", "寨沙镇民主村"), ("lz_v12", "中渡镇长盛村"),
]

RURAL_WINNERS = [
    ("lz_w01", "鹿寨县丰润种养专业合作社", "cooperative"), ("lz_w02", "鹿寨县绿源果蔬专业合作社", "cooperative"),
    ("lz_w03", "广西桂中糖业原料有限公司", "company"), ("lz_w04", "覃建华家庭农场", "individual"),
    ("lz_w05", "韦秀英家庭农场", "individual"), ("lz_w06", "鹿寨县春晖养殖专业合作社", "cooperative"),
    ("lz_w07", "柳州市鹿鸣农业发展有限公司", "company"), ("lz_w08", "蓝志强", "individual"),
]

# (title, area 亩, term 年, start 元/亩/年, final 元/亩/年, January award day): 99.92亩, 104.12万元
CERTIFIED = [
    ("连片水田经营权出租（双季稻种植）", D("45.36"), 10, D("950.00"), D("1020.00"), 14),
    ("甘蔗地经营权出租", D("32.18"), 8, D("1200.00"), D("1280.00"), 16),
    ("坡耕地经营权出租（柑橘种植）", D("22.38"), 10, D("1050.00"), D("1112.78"), 21),
]

# (title, area, term, start, final, month listed and awarded): 11.95亩 (111.87 − 99.92)
RURAL_SMALL_LAND = [
    ("零星旱地经营权出租", D("2.15"), 5, D("700.00"), D("760.00"), 2),
    ("菜地经营权出租", D("3.40"), 3, D("800.00"), D("850.00"), 3),
    ("鱼塘边坡地经营权出租", D("1.92"), 5, D("650.00"), D("700.00"), 4),
    ("水浇地经营权出租（育秧）", D("4.48"), 6, D("900.00"), D("980.00"), 5),
]

RURAL_ASSETS = [
    "村委旧办公楼出租", "集体鱼塘承包经营权出租", "闲置校舍租赁", "集体厂房租赁", "临街商铺租赁（3间）",
    "农机仓库租赁", "集体果园承包经营", "村部屋顶光伏场地租赁", "农贸市场摊位租赁（12个）", "集体晒场租赁",
    "烤烟房及附属设施租赁", "村集体砂场经营权出租", "养殖场圈舍租赁", "集体加工厂设备转让", "停车场经营权出租",
    "村级电商服务站场地租赁",
]

# (title, kind, status, month listed, month awarded or 0): 2025 listings not completed in 1–6月
RURAL_LISTING_EXTRA = [
    ("连片水田经营权出租", "rural_land", "awarded", 6, 7),
    ("坡地经营权出租（砂糖橘种植）", "rural_land", "failed", 2, 0),
    ("集体林地经营权流转", "rural_forest", "awarded", 5, 7),
    ("旱地经营权出租（蔬菜种植）", "rural_land", "withdrawn", 4, 0),
    ("桑园经营权出租", "rural_land", "failed", 5, 0),
    ("荒山林地经营权流转", "rural_forest", "awarded", 6, 8),
    ("集体经营性建设用地使用权出让（原砖厂地块）", "rural_construction_land", "awarded", 6, 7),
    ("村集体冷库及场地租赁", "rural_asset", "failed", 3, 0),
    ("闲置厂房整体租赁", "rural_asset", "awarded", 6, 7),
]

_CONSTRUCTION = ["{t}农村公路安全生命防护工程", "{t}中心小学教学综合楼建设工程", "{t}人饮安全巩固提升工程",
                 "{t}高标准农田建设项目", "{t}污水处理设施及配套管网工程", "{t}卫生院业务用房改扩建工程",
                 "{t}农贸市场升级改造工程", "{t}防洪堤加固工程", "{t}乡村振兴示范点道路硬化工程",
                 "{t}老旧小区改造工程"]
_PROCUREMENT = ["县教育局{t}学校课桌椅采购项目", "县人民医院医疗设备采购项目（{n}包）", "{t}人民政府办公设备采购项目",
                "县中医医院信息化系统采购项目", "{t}中学多媒体教学设备采购项目", "县疾控中心检验试剂采购项目",
                "{t}卫生院救护车采购项目", "县政务服务中心自助终端采购项目", "{t}学校食堂设备采购项目",
                "县应急管理局防汛物资采购项目", "{t}路灯及亮化设备采购项目"]
_STATE_ASSET = ["县城投公司闲置办公楼租赁权", "国有公务车辆公开处置（{n}辆）", "县粮食储备库闲置仓房租赁权",
                "县属国企废旧物资处置"]
_LAND_USE = ["鹿寨县{t}2025-0{n}号地块国有建设用地使用权出让", "鹿寨县{t}工业园区2025-1{n}号地块国有建设用地使用权出让"]


def public_titles(rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    """Per public kind, (title, town) pairs: enough distinct titles for every deal of that kind."""

    def make(templates: list[str], n: int) -> list[tuple[str, str]]:
        out = []
        for i in range(n):
            town = TOWNS[rng.randrange(len(TOWNS))]
            out.append((templates[i % len(templates)].format(t=town, n=i % 7 + 2), town))
        return out

    return {"construction": make(_CONSTRUCTION, 69), "procurement": make(_PROCUREMENT, 69),
            "state_asset": make(_STATE_ASSET, 69), "land_use": make(_LAND_USE, 69)}

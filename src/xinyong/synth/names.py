"""Word lists and name builders for synthetic Hangzhou data.

Everything takes the caller's ``random.Random`` so a seed fixes every name; nothing here reads
global state. Place names and road names are real Hangzhou districts and streets; enterprise
names follow the usual 行政区划 + 字号 + 行业 + 组织形式 pattern (《企业名称登记管理规定》).
"""

from __future__ import annotations

import random
from typing import Final, NamedTuple


class District(NamedTuple):
    code: str
    name: str
    roads: tuple[str, ...]


# GB/T 2260 codes of Hangzhou's districts since the 2021 adjustment.
DISTRICTS: Final = (
    District("330102", "上城区", ("解放路", "庆春路", "中河中路", "钱江路", "望江东路", "秋涛路")),
    District("330105", "拱墅区", ("莫干山路", "湖墅南路", "拱康路", "上塘路", "丽水路", "石祥路")),
    District("330106", "西湖区", ("文三路", "天目山路", "古墩路", "西溪路", "教工路", "学院路")),
    District("330108", "滨江区", ("江南大道", "滨盛路", "江陵路", "网商路", "长河路", "浦沿路")),
    District("330109", "萧山区", ("市心中路", "金城路", "人民路", "建设一路", "鸿宁路", "萧绍路")),
    District(
        "330110", "余杭区", ("文一西路", "良睦路", "五常大道", "龙潭路", "高教路", "荆长大道")
    ),
    District("330111", "富阳区", ("金桥北路", "江滨西大道", "桂花路", "迎宾北路", "富春路")),
    District("330112", "临安区", ("钱王街", "衣锦街", "科技大道", "农林大路", "万马路")),
    District("330113", "临平区", ("迎宾路", "世纪大道", "星桥路", "望梅路", "藕花洲大街")),
    District("330114", "钱塘区", ("下沙路", "学林街", "文泽路", "海达南路", "义蓬路")),
)
DISTRICT_WEIGHTS: Final = (10, 10, 12, 9, 13, 14, 7, 6, 9, 10)

# Birth-place codes on resident ID numbers (older codes included: people born before the
# 2014–2021 boundary changes keep the code of their birth county).
ID_AREAS: Final = (
    "330102",
    "330103",
    "330104",
    "330105",
    "330106",
    "330108",
    "330109",
    "330110",
    "330122",
    "330127",
    "330182",
    "330183",
    "330185",
)

SURNAMES: Final = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃戴莫孔向汤楼俞应童施项裘屠"
)
COMPOUND_SURNAMES: Final = ("欧阳", "上官", "司马", "诸葛", "东方")
GIVEN_CHARS: Final = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力新宇浩然俊杭佳琪欣怡"
    "子涵梓晨雨轩博文思远嘉怡晓峰国庆志鹏海燕春梅立群建国美玲晨阳一鸣亦菲可馨天佑若曦"
)

TRADE_NAME_CHARS: Final = (
    "华新恒盛泰达鑫源宏丰瑞祥金诚德信隆安康和嘉禾博远联创智汇通宇航晟昊卓越天成永兴广聚鼎正"
    "海川钱江西溪之江吴越运河良渚湖畔云栖东方锦程弘毅融合启明星辰睿思尚品优选众邦中环合力"
)

# GB/T 4754-2017 sections (门类) with the 行业 words used in names and a business scope.
INDUSTRIES: Final = (
    (
        "制造业",
        ("机械制造", "电子科技", "纺织", "服饰", "食品", "塑料制品", "五金", "新材料"),
        "一般项目：机械设备研发；电子元器件制造；塑料制品制造；五金产品制造。",
    ),
    (
        "批发和零售业",
        ("贸易", "商贸", "电子商务", "医药连锁", "超市", "百货"),
        "一般项目：日用百货销售；服装服饰批发；互联网销售（除销售需要许可的商品）。",
    ),
    (
        "信息传输、软件和信息技术服务业",
        ("网络科技", "信息技术", "软件", "数据科技", "智能科技"),
        "一般项目：技术服务、技术开发、技术咨询；软件开发；信息系统集成服务；数据处理服务。",
    ),
    (
        "住宿和餐饮业",
        ("餐饮管理", "酒店管理", "餐饮", "食品连锁"),
        "许可项目：餐饮服务；住宿服务。一般项目：餐饮管理；酒店管理。",
    ),
    (
        "建筑业",
        ("建设", "建筑工程", "装饰工程", "市政工程", "园林绿化工程"),
        "许可项目：建设工程施工；住宅室内装饰装修。一般项目：园林绿化工程施工。",
    ),
    (
        "交通运输、仓储和邮政业",
        ("物流", "运输", "供应链管理", "快递服务"),
        "许可项目：道路货物运输（不含危险货物）。一般项目：普通货物仓储服务；国内货物运输代理。",
    ),
    (
        "房地产业",
        ("房地产开发", "物业管理", "置业"),
        "许可项目：房地产开发经营。一般项目：物业管理；住房租赁。",
    ),
    (
        "租赁和商务服务业",
        ("企业管理咨询", "人力资源", "广告", "会展服务"),
        "一般项目：企业管理咨询；广告设计、代理；会议及展览服务；人力资源服务（不含职业中介活动）。",
    ),
    (
        "科学研究和技术服务业",
        ("生物科技", "检测技术", "工程设计", "环保科技"),
        "一般项目：技术服务、技术开发；检验检测服务；工程和技术研究和试验发展。",
    ),
    (
        "农、林、牧、渔业",
        ("农业开发", "生态农业", "茶业", "农产品"),
        "一般项目：谷物种植；茶叶种植；农产品的生产、销售、加工、运输、贮藏及其他相关服务。",
    ),
    (
        "文化、体育和娱乐业",
        ("文化传媒", "影视", "体育发展", "文化创意"),
        "一般项目：组织文化艺术交流活动；体育赛事策划；广播电视节目制作经营。",
    ),
    (
        "居民服务、修理和其他服务业",
        ("家政服务", "汽车维修", "美容美发", "洗涤服务"),
        "一般项目：家政服务；机动车修理和维护；洗烫服务；美容服务。",
    ),
)
INDUSTRY_WEIGHTS: Final = (18, 22, 12, 10, 8, 6, 4, 7, 5, 3, 2, 3)

SHOPS: Final = (
    ("面馆", 3),
    ("小吃店", 3),
    ("便利店", 3),
    ("水果店", 2),
    ("理发店", 2),
    ("五金店", 1),
    ("汽车修理部", 1),
    ("服装店", 2),
    ("餐馆", 3),
    ("烟酒商行", 1),
)
SHOP_INDUSTRY: Final = {
    "面馆": 3,
    "小吃店": 3,
    "餐馆": 3,
    "理发店": 11,
    "汽车修理部": 11,
}
COOP_PRODUCTS: Final = ("茶叶", "蔬菜", "水果", "竹笋", "山核桃", "花卉苗木", "水产养殖", "蚕桑")
SOCIAL_ORGS: Final = (
    ("52", "培训学校"),
    ("52", "养老服务中心"),
    ("52", "社会工作服务中心"),
    ("52", "文化艺术培训中心"),
    ("53", "慈善基金会"),
    ("53", "教育基金会"),
)
INSTITUTIONS: Final = ("第一人民医院", "实验学校", "图书馆", "疾病预防控制中心", "文化馆", "中医院")
ROAD_INSTITUTIONS: Final = ("小学", "幼儿园", "社区卫生服务中心", "初级中学")
GOVERNMENT_BODIES: Final = (
    "农业农村局",
    "教育局",
    "城市管理局",
    "卫生健康局",
    "商务局",
    "文化和广电旅游体育局",
    "人力资源和社会保障局",
)


def person_name(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.01:
        surname = rng.choice(COMPOUND_SURNAMES)
    elif r < 0.6:
        surname = SURNAMES[rng.randrange(20)]  # the commonest surnames carry half the people
    else:
        surname = rng.choice(SURNAMES)
    given = rng.choice(GIVEN_CHARS)
    if rng.random() < 0.75:
        given += rng.choice(GIVEN_CHARS)
    return surname + given


def trade_name(rng: random.Random) -> str:
    return rng.choice(TRADE_NAME_CHARS) + rng.choice(TRADE_NAME_CHARS)


def district(rng: random.Random) -> District:
    return rng.choices(DISTRICTS, DISTRICT_WEIGHTS)[0]


def address(rng: random.Random, d: District) -> str:
    text = f"杭州市{d.name}{rng.choice(d.roads)}{rng.randint(1, 999)}号"
    if rng.random() < 0.6:
        text += f"{rng.randint(1, 12)}幢{rng.randint(1, 28)}{rng.randint(1, 20):02d}室"
    return text


def industry_index(rng: random.Random) -> int:
    return rng.choices(range(len(INDUSTRIES)), INDUSTRY_WEIGHTS)[0]


def company_name(rng: random.Random, industry: int) -> tuple[str, str]:
    """(name, entity type) of a company: 杭州 + 字号 + 行业词 + 有限公司 / 股份有限公司."""
    word = rng.choice(INDUSTRIES[industry][1])
    place = "浙江" if rng.random() < 0.12 else "杭州"
    if rng.random() < 0.08:
        return (
            f"{place}{trade_name(rng)}{word}股份有限公司",
            "股份有限公司（非上市、自然人投资或控股）",
        )
    return f"{place}{trade_name(rng)}{word}有限公司", "有限责任公司（自然人投资或控股）"


def individual_name(rng: random.Random, d: District, owner: str) -> tuple[str, int]:
    """(name, industry) of a 个体工商户, e.g. 西湖区张记面馆."""
    shop = rng.choices([s for s, _ in SHOPS], [w for _, w in SHOPS])[0]
    industry = SHOP_INDUSTRY.get(shop, 1)
    if rng.random() < 0.6:
        surname = owner[:2] if owner[:2] in COMPOUND_SURNAMES else owner[0]
        return f"{d.name}{surname}记{shop}", industry
    return f"杭州市{d.name}{trade_name(rng)}{shop}", industry


def coop_name(rng: random.Random, d: District) -> str:
    return f"杭州市{d.name}{trade_name(rng)}{rng.choice(COOP_PRODUCTS)}专业合作社"


def social_org_name(rng: random.Random, d: District) -> tuple[str, str]:
    """(USCC positions 1–2, name) of a 民办非企业单位 or 基金会."""
    prefix, kind = rng.choice(SOCIAL_ORGS)
    if prefix == "53":
        return prefix, f"杭州市{trade_name(rng)}{kind}"
    return prefix, f"杭州市{d.name}{trade_name(rng)}{kind}"


def institution_name(rng: random.Random, d: District) -> str:
    if rng.random() < 0.5:
        return f"杭州市{d.name}{rng.choice(INSTITUTIONS)}"
    road = rng.choice(d.roads)
    return f"杭州市{d.name}{road}{rng.choice(ROAD_INSTITUTIONS)}"


def government_name(rng: random.Random, d: District) -> str:
    if rng.random() < 0.5:
        return f"杭州市{d.name}{rng.choice(GOVERNMENT_BODIES)}"
    return f"杭州市{d.name}{trade_name(rng)}街道办事处"

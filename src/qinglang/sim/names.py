"""Nicknames and bios: vocabularies and generators, all written for the simulator.

Generators take a numpy Generator and a count and return a list of strings.
Random choices are drawn in bulk with numpy; Python only assembles strings.
"""

from __future__ import annotations

import functools

import numpy as np

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚"
    "卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛郝龚邵万钱严赖覃洪武莫孔"
)
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华飞鑫波宇浩凯健俊帆帅旭宁龙林欢阳建国峰亮成斌晨辉婷雪琳晶颖"
    "倩佳怡欣悦思雨梦琪瑶涵萱子轩博文诗晴嘉彤一诺睿泽宸皓然逸铭昊天安可心妍子墨梓豪宏志丹玉兰红燕蕾薇慧璐"
    "晓月婧雯莉萍洁珊琦雅楠云鹏飞海龙江川山石春秋冬夏书瑜"
)
CUTE_ADJ = [
    "爱吃鱼的", "不会游泳的", "爱睡觉的", "喜欢下雨的", "会发光的", "迷路的", "快乐的", "孤独的", "认真的", "努力的",
    "贪吃的", "想暴富的", "熬夜的", "怕冷的", "爱笑的", "不想上班的", "追风的", "安静的", "温柔的", "倔强的",
    "想养猫的", "减肥中的", "失眠的", "会飞的", "骑单车的", "爱喝奶茶的", "躺平的", "早睡早起的", "一只", "一颗",
]
CUTE_NOUN = [
    "猫", "小猫咪", "兔子", "鲸鱼", "小熊", "橘子", "柠檬", "星星", "月亮", "咸鱼", "西瓜", "少年", "姑娘", "小孩",
    "大叔", "打工人", "程序员", "胖子", "土豆", "汤圆", "饺子", "蘑菇", "向日葵", "云朵", "企鹅", "仙女", "考拉",
    "小狐狸", "刺猬", "海盐", "芝士", "布丁", "可乐", "奶糖", "松鼠", "小太阳", "柚子",
]
PREFIX_SMALL = ["小", "阿", "老", "大"]
NAME_SUFFIX = [
    "同学", "酱", "君", "呀", "吖", "哥", "姐", "宝宝", "本人", "的日常", "的小窝", "不加班", "要努力", "在路上",
    "说", "的碎碎念", "很忙", "爱生活", "今天也要加油", "不吃香菜",
]
ENGLISH = [
    "Kevin", "Lucy", "Amy", "Jack", "Tony", "Coco", "Luna", "Summer", "Sunny", "Leo", "Mia", "Ella", "Eric", "Ivy",
    "Grace", "Jason", "Alice", "Cindy", "Daisy", "Vicky", "Yuki", "Momo", "Lily", "Nancy", "Angel", "Tina", "Zoe",
    "Ryan", "Sean", "Bella", "Jenny", "Max", "Oscar", "Ruby", "Echo", "Aaron", "Chloe",
]
WORDS2 = [
    "晴天", "追风", "星河", "南风", "北巷", "清风", "晚风", "落日", "半夏", "初心", "时光", "微光", "浅笑", "流年",
    "青柠", "薄荷", "樱花", "山海", "远方", "白日梦", "烟火", "故里", "人间", "温暖", "旧梦", "长安", "江南",
    "听雨", "浮生", "星辰", "麦田", "海风", "夏至", "立夏", "惊蛰", "小满", "归途", "月光", "日落",
]
EMOJI_NICK = ["🌸", "🍀", "🌙", "⭐", "🐱", "🐰", "🍓", "🌈", "🎈", "💫", "🌻", "🍑", "🐳", "🦋", "✨", "🍊"]
COMMON_NICKNAMES = [
    "小明", "小红", "开心就好", "快乐每一天", "阳光男孩", "向日葵", "平安是福", "岁月静好", "随风", "一路向北",
    "简单就好", "王伟", "张伟", "李娜", "王芳", "刘洋", "张敏", "李静", "微笑", "追梦人", "天天向上", "晴天",
    "浅笑", "流年", "花开富贵", "好运来", "心想事成", "冰冰", "小雨", "蓝天白云", "平凡人", "普通人", "路人甲",
    "吃货", "打工人", "小太阳", "奋斗", "明天会更好", "木子", "安静", "淡定", "知足常乐", "笑看人生", "海阔天空",
    "王磊", "李强", "张静", "刘芳", "陈杰", "杨洋",
]
CITIES = [
    "北京", "上海", "广州", "深圳", "杭州", "成都", "重庆", "武汉", "西安", "南京", "天津", "苏州", "长沙", "郑州",
    "青岛", "沈阳", "大连", "厦门", "福州", "济南", "合肥", "昆明", "南宁", "贵阳", "哈尔滨", "长春", "石家庄",
    "太原", "南昌", "兰州", "宁波", "无锡", "佛山", "东莞", "温州", "珠海", "三亚", "拉萨", "乌鲁木齐", "呼和浩特",
]
MEDIA_KINDS = [
    "日报", "晚报", "晨报", "都市报", "新闻", "新闻网", "发布", "交警", "广播电台", "电视台", "身边事", "头条",
    "生活圈", "微报", "消防", "气象", "文旅", "青年报", "商报",
]
BRAND_WORDS = [
    "美家", "优品", "乐享", "星辰", "云途", "悦动", "极光", "青禾", "茶语", "花漾", "锦绣", "小满", "好物", "拾光",
    "知味", "清源", "森屿", "米粒", "元气", "初见", "橙子", "蓝鲸", "麦芽", "山竹",
]
BRAND_SUFFIX = ["官方旗舰店", "科技", "官方微博", "汽车", "手机", "食品", "美妆", "服饰", "家居", "咖啡", "游戏", "文化"]
KOL_TOPICS = [
    ("美食", "博主"), ("数码", "君"), ("旅行", "家"), ("健身", "教练"), ("情感", "电台"), ("搞笑", "段子手"),
    ("穿搭", "日记"), ("读书", "笔记"), ("电影", "解说"), ("萌宠", "日常"), ("育儿", "妈妈"), ("财经", "观察"),
    ("历史", "说"), ("摄影", "师"), ("游戏", "主播"), ("音乐", "人"), ("科普", "君"), ("美妆", "达人"),
]
PINYIN_SYLL = [
    "wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma", "zhu", "hu",
    "guo", "he", "lin", "gao", "luo", "wei", "fang", "na", "min", "jing", "qiang", "lei", "jun", "yong", "tao",
    "ming", "chao", "xia", "ping", "gang", "hua", "fei", "xin", "bo", "yu", "hao", "kai", "jian", "jun", "fan",
    "shuai", "xu", "ning", "long", "huan", "feng", "liang", "cheng", "bin", "chen", "hui", "ting", "xue", "ying",
    "qian", "jia", "yi", "yue", "si", "meng", "qi", "yao", "han", "xuan", "zi", "xiao", "da", "tian", "an",
]
ALNUM = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789"))

# Bios.
HOBBIES = [
    "摄影", "旅行", "美食", "读书", "电影", "音乐", "健身", "跑步", "篮球", "足球", "游泳", "画画", "追剧", "动漫",
    "猫", "狗", "烘焙", "咖啡", "爬山", "骑行", "吉他", "钢琴", "汉服", "手账", "露营", "钓鱼", "养花", "游戏",
]
JOBS = [
    "程序员", "设计师", "老师", "医生", "护士", "学生", "会计", "销售", "产品经理", "律师", "工程师", "自由职业",
    "宝妈", "退休老人", "公务员", "厨师", "司机", "研究生", "记者", "编辑", "运营", "摄影师", "创业者",
]
QUOTES = [
    "生活不止眼前的苟且", "做一个温暖的人", "愿你被这个世界温柔以待", "慢慢来，比较快", "凡是过往，皆为序章",
    "保持热爱，奔赴山海", "人间值得", "不忘初心，方得始终", "与其焦虑，不如行动", "日日是好日", "努力成为更好的自己",
    "山有木兮木有枝", "热爱可抵岁月漫长", "心之所向，素履以往", "越努力越幸运", "星光不问赶路人", "知足常乐",
]
ZODIAC = ["白羊", "金牛", "双子", "巨蟹", "狮子", "处女", "天秤", "天蝎", "射手", "摩羯", "水瓶", "双鱼"]
FARM_BIOS = [
    "这个人很懒，什么都没有写", "互粉互赞，有关必回", "每天都要开心鸭", "生活不止眼前的苟且", "关注我，带你了解更多",
    "爱生活爱自己", "做最好的自己", "喜欢就关注吧", "天天向上", "越努力越幸运", "人间值得", "保持热爱，奔赴山海",
    "一个普通人", "回关必回", "感谢关注", "随便看看", "愿岁月静好", "快乐最重要", "好好学习天天向上", "顺其自然",
    "简单生活", "新人求关注", "分享生活点滴", "记录美好生活",
]
HEAD_BIOS = {
    "star": ["演员，代表作《{w}》", "歌手｜新专辑《{w}》全网上线", "工作联系：{city}{w}文化传媒", "感谢每一位支持我的人",
             "演员、歌手", "新剧《{w}》热播中"],
    "kol": ["{topic}博主，每天分享{hobby}干货", "合作请私信", "{city}｜{topic}｜{hobby}", "专注{topic}十年",
            "分享{hobby}和生活"],
    "media": ["{city}主流媒体官方账号", "权威发布，服务市民", "新闻线索请私信", "{city}新闻，第一时间为您报道"],
    "brand": ["{w}官方账号，客服请私信", "品质生活，从{w}开始", "官方旗舰店，正品保障", "{w}，让生活更美好"],
}


def _p(rng: np.random.Generator, seq, k):
    return [seq[i] for i in rng.integers(0, len(seq), k)]


@functools.lru_cache(maxsize=1)
def _surname_weights() -> np.ndarray:
    w = 1.0 / (np.arange(len(SURNAMES)) + 3.0)
    return w / w.sum()


def person_names(rng: np.random.Generator, k: int) -> list[str]:
    sur = rng.choice(len(SURNAMES), k, p=_surname_weights())
    g1 = rng.integers(0, len(GIVEN), k)
    g2 = rng.integers(0, len(GIVEN), k)
    two = rng.random(k) < 0.7
    return [
        SURNAMES[s] + GIVEN[a] + (GIVEN[b] if t else "")
        for s, a, b, t in zip(sur.tolist(), g1.tolist(), g2.tolist(), two.tolist())
    ]


def default_handles(rng: np.random.Generator, k: int) -> list[str]:
    """The platform's default nickname, kept by users who never set one: 用户 + 10 digits."""
    nums = rng.integers(1_000_000_000, 8_000_000_000, k)
    return [f"用户{x}" for x in nums.tolist()]


def random_handles(rng: np.random.Generator, k: int) -> list[str]:
    lens = rng.integers(6, 12, k)
    chars = ALNUM[rng.integers(0, ALNUM.size, (k, 12))]
    out = []
    for row, n in zip(chars, lens.tolist()):
        s = "".join(row[:n].tolist())
        out.append(s if not s[0].isdigit() else "u" + s)
    return out


def pinyin_handles(rng: np.random.Generator, k: int) -> list[str]:
    a = _p(rng, PINYIN_SYLL, k)
    b = _p(rng, PINYIN_SYLL, k)
    digits = rng.integers(0, 100000, k)
    nd = rng.integers(2, 6, k)
    sep = _p(rng, ["", "", "_", "."], k)
    return [f"{x}{y}{s}{str(d).zfill(n)[:n]}" for x, y, s, d, n in zip(a, b, sep, digits.tolist(), nd.tolist())]


def cute_names(rng: np.random.Generator, k: int) -> list[str]:
    return [a + b for a, b in zip(_p(rng, CUTE_ADJ, k), _p(rng, CUTE_NOUN, k))]


def small_names(rng: np.random.Generator, k: int) -> list[str]:
    pre = _p(rng, PREFIX_SMALL, k)
    g = _p(rng, GIVEN + CUTE_NOUN[:10], k)
    suf = _p(rng, NAME_SUFFIX, k)
    return [a + b + c for a, b, c in zip(pre, g, suf)]


def english_names(rng: np.random.Generator, k: int) -> list[str]:
    e = _p(rng, ENGLISH, k)
    s = _p(rng, SURNAMES, k)
    mode = rng.integers(0, 4, k)
    d = rng.integers(80, 100, k)
    y = rng.integers(1985, 2010, k)
    out = []
    for en, su, m, dd, yy in zip(e, s, mode.tolist(), d.tolist(), y.tolist()):
        out.append([f"{en}_{su}", f"{en}{su}", f"{en.lower()}{yy}", f"{su}{en}{dd}"][m])
    return out


def word_digit_names(rng: np.random.Generator, k: int) -> list[str]:
    w = _p(rng, WORDS2 + CUTE_NOUN, k)
    d = rng.integers(0, 10000, k)
    nd = rng.integers(2, 5, k)
    w2 = _p(rng, WORDS2, k)
    mode = rng.random(k)
    return [
        (f"{a}{str(x)[:n]}" if m < 0.6 else f"{a}{b}" if m < 0.85 else f"{a}的{b}")
        for a, b, x, n, m in zip(w, w2, d.tolist(), nd.tolist(), mode.tolist())
    ]


def emoji_names(rng: np.random.Generator, k: int) -> list[str]:
    base = word_digit_names(rng, k)
    e = _p(rng, EMOJI_NICK, k)
    front = rng.random(k) < 0.5
    return [(x + b if f else b + x) for b, x, f in zip(base, e, front.tolist())]


def common_names(rng: np.random.Generator, k: int) -> list[str]:
    return _p(rng, COMMON_NICKNAMES, k)


STYLES = {
    "person": person_names,
    "cute": cute_names,
    "small": small_names,
    "english": english_names,
    "word": word_digit_names,
    "pinyin": pinyin_handles,
    "emoji": emoji_names,
    "default": default_handles,
    "common": common_names,
    "random": random_handles,
}

#: Nickname style mixes by kind of account.
STYLE_MIX = {
    "active": {"person": 0.16, "cute": 0.22, "small": 0.12, "english": 0.1, "word": 0.14, "pinyin": 0.07,
               "emoji": 0.07, "default": 0.06, "common": 0.06},
    "casual": {"person": 0.14, "cute": 0.18, "small": 0.1, "english": 0.08, "word": 0.12, "pinyin": 0.08,
               "emoji": 0.06, "default": 0.18, "common": 0.06},
    "dormant": {"person": 0.18, "cute": 0.12, "small": 0.08, "english": 0.08, "word": 0.1, "pinyin": 0.1,
                "emoji": 0.02, "default": 0.26, "common": 0.06},
    "batch": {"default": 0.42, "random": 0.2, "pinyin": 0.18, "person": 0.14, "word": 0.06},
    "slow_drip": {"default": 0.34, "random": 0.18, "pinyin": 0.16, "person": 0.2, "cute": 0.06, "word": 0.06},
    "aged": {"person": 0.3, "cute": 0.18, "default": 0.14, "pinyin": 0.12, "word": 0.12, "english": 0.08,
             "small": 0.06},
}


def mixed_names(rng: np.random.Generator, k: int, mix: str) -> list[str]:
    styles = STYLE_MIX[mix]
    names = list(styles)
    p = np.array([styles[s] for s in names])
    which = rng.choice(len(names), k, p=p / p.sum())
    out: list[str] = [""] * k
    for j, style in enumerate(names):
        idx = np.flatnonzero(which == j)
        if idx.size:
            for i, name in zip(idx.tolist(), STYLES[style](rng, idx.size)):
                out[i] = name
    return out


def head_names(rng: np.random.Generator, kinds: list[str]) -> list[str]:
    """Names of head accounts by kind (star, kol, media, brand); made unique with a disambiguator."""
    out = []
    seen: set[str] = set()
    for kind in kinds:
        for attempt in range(50):
            if kind == "star":
                name = person_names(rng, 1)[0]
                if attempt > 5:
                    name += str(_p(rng, ENGLISH, 1)[0])
            elif kind == "media":
                form = int(rng.integers(4))
                city, mk = _p(rng, CITIES, 1)[0], _p(rng, MEDIA_KINDS, 1)[0]
                name = [city + mk, city + "市" + mk, city + mk + "官方", "掌上" + city + mk][form]
            elif kind == "brand":
                name = _p(rng, BRAND_WORDS, 1)[0] + _p(rng, BRAND_SUFFIX, 1)[0]
            else:
                topic, role = _p(rng, KOL_TOPICS, 1)[0]
                name = topic + role + (person_names(rng, 1)[0][1:] if rng.random() < 0.6 else _p(rng, WORDS2, 1)[0])
            if attempt > 20:
                name += str(int(rng.integers(2, 100)))
            if name not in seen:
                break
        seen.add(name)
        out.append(name)
    return out


def genuine_bios(rng: np.random.Generator, k: int) -> list[str]:
    mode = rng.integers(0, 7, k)
    h1, h2, h3 = _p(rng, HOBBIES, k), _p(rng, HOBBIES, k), _p(rng, HOBBIES, k)
    city, job, quote, zod = _p(rng, CITIES, k), _p(rng, JOBS, k), _p(rng, QUOTES, k), _p(rng, ZODIAC, k)
    emo = _p(rng, EMOJI_NICK, k)
    out = []
    for i, m in enumerate(mode.tolist()):
        out.append(
            [
                f"热爱{h1[i]}和{h2[i]}",
                f"{city[i]}人，{job[i]}",
                quote[i],
                f"{zod[i]}座｜{h1[i]}｜{city[i]}",
                f"一个爱{h1[i]}的{job[i]}{emo[i]}",
                f"{quote[i]}。{h1[i]}/{h2[i]}/{h3[i]}",
                f"{job[i]}，偶尔{h1[i]}，常常{h2[i]}",
            ][m]
        )
    return out


def head_bios(rng: np.random.Generator, kinds: list[str]) -> list[str]:
    out = []
    for kind in kinds:
        tpl = _p(rng, HEAD_BIOS[kind], 1)[0]
        topic = _p(rng, KOL_TOPICS, 1)[0][0]
        out.append(
            tpl.format(w=_p(rng, WORDS2, 1)[0], city=_p(rng, CITIES, 1)[0], topic=topic, hobby=_p(rng, HOBBIES, 1)[0])
        )
    return out


FAN_CLUB_SUFFIXES = ["后援会", "粉丝团", "全球后援会", "超话", "应援站", "资讯站", "个站", "吧", "的小粉丝", "粉丝后援会"]

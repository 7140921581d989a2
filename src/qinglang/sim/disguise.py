"""Evasion tricks applied to nicknames and to the key terms of violating posts.

Each trick takes a text and a numpy Generator and returns the disguised text,
or None when it cannot change this text (e.g. no character of the text has a
similar-shape twin); callers then fall back to another trick. Tricks are the
ones regulators list: homophones, similar shapes, pinyin, initials,
traditional characters, inserted digits/symbols/emoji/zero-width characters,
split characters, emoji or letter stand-ins, full-width forms, decorations.
"""

from __future__ import annotations

import functools

import numpy as np

# A pool of common characters: homophones are drawn from it, so substitutes are
# ordinary characters a person would type, not rare ones.
COMMON_CHARS = (
    "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里用道行所然家种"
    "事成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样理心她本前开但因只从想实日军者意无力它与长把机十民第公"
    "此已工使情明性知全三又关点正业外将两高间由问很最重并物手应战向头文体政美相见被利什二等产或新己制身果加西斯月话合回特"
    "代内信表化老给世位次度门任常先海通教儿原东声提立及比员解水名真论处走义各入几口认条平系气题活尔更别打女变四神总何电数"
    "安少报才结反受目太量再感建务做接必场件计管期市直德资命山金指克许统区保至队形社便空决治展马科司五基眼书非则听白却界达"
    "光放强即像难且权思王象完设式色路记南品住告类求据程北边死张该交规万取拉格望觉术领共确传师观清今切院让识候带导争运笑飞"
    "风步改收根干造言联持组每济车亲极林服快办议往元英士证近失转夫令准布始怎呢存未远叫台单影具罗字爱击流备兵连调深商算质团"
    "集百需价花党华城石级整府离况亚请技际约示复病息究线似官火断精满支视消越器容照须九增研写称企八功吗包片史委乎查轻易早曾"
    "除农找装广显吧阿李标谈吃图念六引历首医局突专费号尽另周较注语仅考落青随选列武红响虽推势参希古众构房半节土投某案黑维革"
    "划敌致陈律足态护七兴派孩验责营星够章音跟志底站严巴例防族供效续施留讲型料终答紧黄绝奇察母京段依批群项故按河米围江织害"
    "斗双境客纪采举杀攻父苏密低朝友诉止细愿千值仍男钱破网热助倒育属坐帝限船脸职速刻乐否刚威毛状率甚独球般普怕弹校苦创假久"
    "错承印晚兰试股拿脑预谁益阳若哪微尼继送急血惊伤素药适波夜省初喜卫源食险待述陆习置居劳财环排福纳欢雷警获模充负云停木游"
    "龙树疑层冷洲冲射略范竟句室异激汉村哈策演简卡罪判担州静退既衣您宗积余痛检差富灵协角占配征修皮挥胜降阶审沉坚善妈刘读啊"
    "超免压银买皇养伊怀执副乱抗犯追帮宣佛岁航优怪香著田铁控税左右份穿艺背阵草脚概恶块顿敢守酒岛托央户烈洋哥索胡款靠评版宝"
    "座释景顾弟登货互付伯慢欧换闻危忙核暗姐介坏讨丽良序升监临亮露永呼味野架域沙掉括舰鱼杂误湾吉减编楚肯测败屋跑梦散温困剑"
    "渐封救贵枪缺楼县尚毫移娘朋画班智亦耳恩短掌恐遗固席松秘谢鲁遇康虑幸均销钟诗藏赶剧票损忽巨炮旧端探湖录叶春乡附吸予礼港"
    "雨呀板庭妇归睛饭额含顺输摇招婚脱补谓督毒油疗旅泽材灭逐莫笔亡鲜词圣择寻厂睡博勒烟授诺伦岸奥唐卖俄炸载洛健堂旁宫喝借君"
    "禁阴园谋宋避抓荣姑孙逃牙束跳顶玉镇雪午练迫爷篇肉嘴馆遍凡础洞卷坦牛宁纸诸训私庄祖丝翻暴森塔默握戏隐熟骨访弱蒙歌店鬼软"
    "典欲萨伙遭盘爸扩盖弄雄稳忘亿刺拥徒姆杨齐赛趣曲刀床迎冰虚玩析窗醒妻透购替塞努休虎扬途侵刑绿兄迅套贸毕唯谷轮库迹尤竞街"
    "促延震弃甲伟麻川申缓潜闪售灯针哲络抵朱埃抱鼓植纯夏忍页杰筑折郑贝尊吴秀混臣雅振染盛怒舞圆搞狂措姓残秋培迷诚宽宇猛摆梅"
    "毁伸摩盟末乃悲拍丁赵硬麦蒋操耶阻订彩抽赞魔纷沿喊违妹浪汇币丰蓝殊献桌啦瓦莱援译夺汽烧距裁偏符勇触课敬哭懂墙袭召罚侠厅"
    "拜巧侧韩冒债曼融惯享戴童犹乘挂奖绍厚纵障讯涉彻刊丈爆乌役描洗玛患妙镜唱烦签仙彼弗症仿倾牌陷鸟轰咱菜闭奋庆撤泪茶疾缘播"
    "朗杜奶季丹狗尾仪偷奔珠虫驻孔宜艾桥淡翼恨繁寒伴叹旦愈潮粮缩罢聚径恰挑袋灰捕徐珍幕映裂泰隔启尖忠累炎暂估泛荒偿横拒瑞忆"
    "孤鼻闹羊呆厉衡胞零穷舍码赫婆魂灾洪腿胆津俗辩胸晓劲贫仁偶辑邦恢赖圈摸仰润堆碰艇稍迟辆废净凶署壁御奉旋冬矿抬蛋晨伏吹鸡"
    "倍糊秦盾杯租骑乏隆诊奴摄丧污渡旗甘耐凭扎抢绪粗肩梁幻菲皆碎宙叔岩荡综爬荷悉蒂返井壮薄悄扫敏碍殖详迪矛霍允幅撒剩凯颗骂"
    "赏液番箱贴漫酸郎腰舒眉忧浮辛恋餐吓挺励辞艘键伍峰尺昨黎辈贯侦滑券崇扰宪绕趋慈乔阅汗枝拖墨胁插箭腊粉泥氏彭拔骗凤慧媒佩"
    "愤扑龄驱惜豪掩兼跃尸肃帕驶堡届欣惠册储飘桑闲惨洁踪勃宾频仇磨递邪撞拟滚奏巡颜剂绩贡疯坡瞧截燃焦殿伪柳锁逼颇昏劝呈搜勤"
    "戒驾漂饮曹朵仔柔俩孟腐幼践籍牧凉牲佳娜浓芳稿竹腹跌逻垂遵脉貌柏狱猜怜惑陶兽帐饰贷昌叙躺钢沟寄扶铺邓寿惧询汤盗肥尝匆辉"
    "奈扣廷澳嘛董迁凝慰厌脏腾幽怨鞋丢埋泉涌辖躲晋紫艰魏吾慌祝邮吐狠鉴挤弯椅陪割揭韦悟聪雾锋梯猫祥阔誉筹丛牵鸣沈阁穆屈旨袖"
    "猎臂蛇贺柱抛鼠瑟戈牢逊迈欺吨琴衰瓶恼燕仲诱狼池疼卢仗冠粒遥吕玄尘冯抚浅敦纠钻晶岂峡苍喷耗凌敲菌赔涂粹扁亏寂煤熊恭湿循"
    "暖糖赋抑秩帽哀宿踏烂袁侯抖夹昆肝擦猪炼恒慎搬纽纹玻渔磁铜齿跨押怖漠疲叛遣兹祭醉拳弥斜档稀捷肤疫肿豆削岗晃吞宏癌肚隶履"
    "涨耀扭坛拨沃绘伐堪仆郭牺歼墓雇廉契拼惩捉覆刷劫嫌瓜歇雕闷乳串娃缴唤赢莲霸桃妥瘦搭赴岳嘉舱俊址庞耕锐缝悔邀玲惟斥宅添挖"
    "呵讼氧浩羽斤酷掠妖祸侍乙妨贪挣汪尿莉悬唇翰仓轨枚盐览傅帅庙芬屏寺胖璃愚滴疏萧姿颤丑劣柯寸扔盯辱匹俱辨饿蜂哦腔郁溃谨糟"
    "葛苗肠忌溜鸿爵鹏鹰笼丘桂滋聊挡纲肌茨壳痕碗穴膀卓贤卧膜毅锦欠哩函茫昂薛皱夸豫胃舌剥傲拾窝睁携陵哼棉晴铃填饲渴吻扮逆脆"
    "喘罩卜炉柴愉绳胎蓄眠竭喂傻慕浑奸扇柜悦拦诞饱乾泡贼亭夕爹酬儒姻卵氛泄杆挨僧蜜吟猩遂狭肖甜霞驳裕顽摘矮秒卿畜咽披辅勾盆"
    "疆赌塑畏吵囊嗯泊肺骤缠冈羞瞪吊贾漏斑涛悠鹿俘锡卑葬铭滩嫁催璇翅盒蛮矣潘歧赐鲍锅廊拆灌勉盲宰佐啥胀扯禧辽抹筒棋裤唉朴咐"
    "孕誓喉妄拘链驰栏逝窃艳臭纤棵趁匠盈翁愁瞬婴孝颈倘浙谅蔽畅赠妮莎尉冻跪闯葡厨鸭颠遮谊圳吁仑辟瘤嫂陀框谭亨钦庸歉芝吼甫衫"
    "摊宴嘱衷娇陕矩浦讶耸裸碧摧薪淋耻胶屠鹅饥盼脖虹翠崩账萍逢赚撑翔倡绵猴枯巫昭怔渊凑溪蠢禅阐旺寓藤匪伞碑挪琼脂谎慨菩萄狮"
    "掘抄岭晕逮砍掏狄晰罕挽脾舟痴蔡剪脊弓懒叉拐喃僚捐姊骚拓歪粘柄坑陌窄湘兆崖骄刹鞭芒筋聘钩棍嚷腺弦焰耍俯厘愣厦恳饶钉寡憾"
    "摔叠惹喻谱愧煌徽溶坠煞巾滥洒堵瓷咒姨棒郡浴媚稣淮哎屁漆淫巢吩撰啸滞玫硕钓蝶膝姚茂躯吏猿寨恕渠戚辰舶颁惶狐讽笨袍嘲啡泼"
    "衔倦涵雀旬僵撕肢垄夷逸茅侨舆窑涅蒲谦杭噢弊勋刮郊凄捧浸砖鼎篮蒸饼亩肾陡爪兔殷贞荐哑炭坟眨搏咳拢舅昧擅爽咖搁禄雌哨巩"
    "绢螺裹昔轩谬谍龟媳姜瞎冤鸦蓬巷琳栽沾诈斋瞒彪厄咨纺罐桶壤糕颂膨谐垒咕隙辣绑宠嘿兑霉挫稽辐乞纱裙嘻哇绣杖塘衍轴攀膊斌"
    "祈踢肆坎轿棚泣屡躁邱凰溢椎砸趟帘帆栖窜丸斩堤塌贩厢掀喀乖谜捏阎滨虏匙芦苹卸沼钥株祷剖熙哗劈怯棠胳桩瑰娱娶沫嗓蹲焚淘嫩"
    "韵衬钧竖峻豹捞菊鄙魄兜哄颖镑屑蚁壶怡渗秃旱哟咸焉谴宛稻铸锻詹毙恍贬烛骇芯汁坊驴朽靖佣汝碌迄冀荆崔雁绅珊榜诵傍彦醇笛"
    "禽勿娟瞄幢寞睹贿踩霆呜拱妃蔑缚篷淹腕煮倩卒馨逗甸贱炒灿敞蜡囚栗辜垫妒魁谣寇蛙婷薇芸萱瑶琪怡悦涵晗翊皓睿泽宸煜炜玮"
    "俪莉婧铭骅桦婕蔷钧垒蕾韬滔庭馨祺琦孟筱彰章兆凰煌舟洲"
)

#: Similar-shape twins (characters often swapped to dodge exact matching).
SHAPE_TWINS = {
    "己": "已", "已": "己", "末": "未", "未": "末", "土": "士", "士": "土", "日": "曰", "人": "入",
    "入": "人", "天": "夭", "干": "千", "千": "干", "王": "玉", "玉": "王", "大": "太", "太": "犬",
    "木": "本", "本": "木", "刀": "力", "力": "刀", "贝": "见", "见": "贝", "白": "自", "自": "白",
    "田": "由", "由": "甲", "甲": "申", "申": "由", "鸟": "乌", "乌": "鸟", "晴": "睛", "睛": "晴",
    "辩": "辨", "辨": "辩", "析": "折", "折": "析", "免": "兔", "兔": "免", "候": "侯", "侯": "候",
    "戊": "戌", "戌": "戍", "茶": "荼", "休": "体", "体": "休", "问": "间", "间": "问", "拔": "拨",
    "拨": "拔", "苦": "若", "若": "苦", "名": "各", "各": "名", "石": "右", "右": "石", "风": "凤",
    "凤": "风", "军": "车", "车": "军", "书": "节", "雨": "两", "两": "雨", "子": "孑", "毛": "手",
    "手": "毛", "儿": "几", "几": "儿", "怡": "冶", "宇": "字", "字": "宇", "明": "朋", "朋": "明",
    "杨": "扬", "扬": "杨", "洋": "详", "林": "材", "瑶": "摇", "婷": "停", "琪": "棋", "涵": "函",
    "萱": "宣", "晨": "辰", "浩": "告", "俊": "峻", "伟": "韦", "娜": "哪", "静": "净",
    "华": "毕", "李": "季", "季": "李", "陈": "阵", "阵": "陈", "张": "涨", "刘": "浏", "赵": "起",
    "黄": "寅", "周": "同", "吴": "昊", "孙": "逊", "徐": "途", "胡": "湖", "郭": "鄂",
}

#: Split characters (a character written as its two components), for posts.
SPLITS = {
    "婊": "女表", "妈": "女马", "奶": "女乃", "炮": "火包", "奸": "女干", "猪": "犭者", "狗": "犭句",
    "骗": "马扁", "赌": "贝者", "嫖": "女票", "娼": "女昌", "妓": "女支", "骚": "马蚤", "好": "女子",
    "射": "身寸", "叫": "口丩", "吗": "口马", "她": "女也", "秒": "禾少", "胸": "月匈", "烈": "列灬",
    "英": "艹央", "雄": "厷隹", "谣": "讠䍃", "粉": "米分", "信": "亻言", "约": "纟勺", "博": "十尃",
}

#: Emoji and letter stand-ins for characters.
STANDINS = {
    "妈": ["🐴", "ma", "M"], "马": ["🐴"], "吗": ["🐴", "ma"], "狗": ["🐶", "gou"], "猪": ["🐷"],
    "微": ["V", "v", "威"], "信": ["❤", "X"], "有": ["🈶"], "可": ["🉑"], "无": ["🈚"], "月": ["🈷"],
    "死": ["S", "4"], "傻": ["S", "🐍"], "逼": ["B", "b"], "操": ["草", "C"], "你": ["n", "尼"],
    "约": ["yue", "🈷"], "色": ["se", "瑟"], "网": ["🕸"], "钱": ["💰", "$"], "赌": ["🎲"],
    "加": ["+", "➕"], "群": ["Q"], "号": ["#"], "福": ["🐱", "fu"], "利": ["li"], "炮": ["🔫", "pao"],
    "美": ["🇺🇸"], "火": ["🔥"], "枪": ["🔫"], "滚": ["gun"], "性": ["xing", "X"], "卡": ["🃏"],
}

DIGITS_SUFFIXES = ["666", "888", "520", "1314", "0618", "2024", "2025", "007", "99", "11", "2", "01", "123"]
SYMBOLS = ["·", "_", "-", "~", ".", "丶", "灬", "ゞ", "彡", "☆", "★", "♡", "❀", "♪", "〆", "ღ", "✿", "°"]
DECOR_SYMBOL_PAIRS = [("★", "★"), ("『", "』"), ("【", "】"), ("❀", "❀"), ("〖", "〗"), ("♡", "♡"), ("ゞ", "")]
EMOJI = ["🌸", "🍀", "🌙", "⭐", "🐱", "🐰", "🍓", "🌈", "🎈", "💫", "🌻", "🍑", "🐳", "🦋", "✨", "🍊", "🎀", "🌿", "🔥", "💯"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060"]
SEPARATORS = ["*", ".", "-", "_", "|", "/", " ", "·", "~", "、", "#", "+", "。", "＊", "…"]
DECOR_SUFFIXES = [
    "官方", "小号", "备用", "工作室", "2.0", "新号", "本人", "本尊", "回来了", "的新号", "二号", "大号",
    "官博", "official", "_official", "呀", "酱", "v2", "plus", "回归", "重生", "又来了", "Official", "Studio",
]
DECOR_PREFIXES = ["官方", "真·", "新", "小", "我是", "正版", "唯一", "the", "Real", "原"]


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


@functools.lru_cache(maxsize=None)
def _pinyin_of(ch: str, tone: bool) -> str:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(ch, style=Style.TONE3 if tone else Style.NORMAL, errors="ignore")[0] if is_cjk(ch) else ch


@functools.lru_cache(maxsize=1)
def homophone_table() -> dict[str, tuple[str, ...]]:
    """For each pool character, the pool characters that sound the same (same tone first)."""
    pool = sorted({c for c in COMMON_CHARS if is_cjk(c)})
    by_tone: dict[str, list[str]] = {}
    by_sound: dict[str, list[str]] = {}
    for c in pool:
        by_tone.setdefault(_pinyin_of(c, True), []).append(c)
        by_sound.setdefault(_pinyin_of(c, False), []).append(c)
    table: dict[str, tuple[str, ...]] = {}
    for c in pool:
        same = [x for x in by_tone[_pinyin_of(c, True)] if x != c]
        near = [x for x in by_sound[_pinyin_of(c, False)] if x != c and x not in same]
        if same or near:
            table[c] = tuple(same + near) if same else tuple(near)
    return table


def homophones_for(ch: str) -> tuple[str, ...]:
    table = homophone_table()
    if ch in table:
        return table[ch]
    if not is_cjk(ch):
        return ()
    # A character outside the pool: look its sound up in the pool.
    key = _pinyin_of(ch, False)
    return tuple(c for c in _sound_index().get(key, ()) if c != ch)


@functools.lru_cache(maxsize=1)
def _sound_index() -> dict[str, tuple[str, ...]]:
    idx: dict[str, list[str]] = {}
    for c in sorted({c for c in COMMON_CHARS if is_cjk(c)}):
        idx.setdefault(_pinyin_of(c, False), []).append(c)
    return {k: tuple(v) for k, v in idx.items()}


def _pick(rng: np.random.Generator, seq):
    return seq[int(rng.integers(len(seq)))]


def _cjk_positions(text: str) -> list[int]:
    return [i for i, c in enumerate(text) if is_cjk(c)]


def homophone(text: str, rng: np.random.Generator) -> str | None:
    pos = [i for i in _cjk_positions(text) if homophones_for(text[i])]
    if not pos:
        return None
    k = 1 if len(pos) < 3 or rng.random() < 0.6 else 2
    chars = list(text)
    for i in rng.choice(pos, size=min(k, len(pos)), replace=False):
        chars[i] = _pick(rng, homophones_for(chars[i]))
    return "".join(chars)


def similar_shape(text: str, rng: np.random.Generator) -> str | None:
    pos = [i for i, c in enumerate(text) if c in SHAPE_TWINS]
    if not pos:
        return None
    chars = list(text)
    i = _pick(rng, pos)
    chars[i] = SHAPE_TWINS[chars[i]]
    return "".join(chars)


def pinyin(text: str, rng: np.random.Generator) -> str | None:
    """Spell some or all Chinese characters in pinyin (lower case, sometimes capitalised)."""
    pos = _cjk_positions(text)
    if not pos:
        return None
    if len(pos) == 1 or rng.random() < 0.5:
        chosen = set(pos)
    else:
        k = int(rng.integers(1, len(pos)))
        chosen = set(int(x) for x in rng.choice(pos, size=k, replace=False))
    cap = rng.random() < 0.3
    out = []
    for i, c in enumerate(text):
        if i in chosen:
            p = _pinyin_of(c, False)
            out.append(p.capitalize() if cap else p)
        else:
            out.append(c)
    return "".join(out)


def initials(text: str, rng: np.random.Generator) -> str | None:
    """Replace Chinese characters by the initials of their pinyin (all, or a tail)."""
    pos = _cjk_positions(text)
    if not pos:
        return None
    start = 0 if len(pos) < 3 or rng.random() < 0.6 else 1
    chosen = set(pos[start:])
    upper = rng.random() < 0.4
    out = []
    for i, c in enumerate(text):
        if i in chosen:
            p = _pinyin_of(c, False)[:1]
            out.append(p.upper() if upper else p)
        else:
            out.append(c)
    return "".join(out)


@functools.lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


def traditional(text: str, rng: np.random.Generator | None = None) -> str | None:
    t = _s2t().convert(text)
    return t if t != text else None


def insert_digits(text: str, rng: np.random.Generator) -> str:
    d = _pick(rng, DIGITS_SUFFIXES)
    if len(text) > 1 and rng.random() < 0.3:
        i = int(rng.integers(1, len(text)))
        return text[:i] + d[:2] + text[i:]
    return text + d


def insert_symbols(text: str, rng: np.random.Generator) -> str:
    r = rng.random()
    if r < 0.4 and len(text) > 1:
        s = _pick(rng, SYMBOLS[:8])
        i = int(rng.integers(1, len(text)))
        return text[:i] + s + text[i:]
    if r < 0.75:
        a, b = _pick(rng, DECOR_SYMBOL_PAIRS)
        return a + text + b
    return text + _pick(rng, SYMBOLS)


def insert_emoji(text: str, rng: np.random.Generator) -> str:
    e = _pick(rng, EMOJI)
    r = rng.random()
    if r < 0.4:
        return e + text
    if r < 0.8 or len(text) < 2:
        return text + e
    i = int(rng.integers(1, len(text)))
    return text[:i] + e + text[i:]


def full_width(text: str, rng: np.random.Generator) -> str | None:
    """ASCII letters, digits and symbols to their full-width forms."""
    if not any("!" <= c <= "~" for c in text):
        return None
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text)


def decorate(text: str, rng: np.random.Generator) -> str:
    if rng.random() < 0.75:
        return text + _pick(rng, DECOR_SUFFIXES)
    return _pick(rng, DECOR_PREFIXES) + text


def zero_width(text: str, rng: np.random.Generator) -> str | None:
    if len(text) < 2:
        return None
    z = _pick(rng, ZERO_WIDTH)
    return z.join(text)


def separators(text: str, rng: np.random.Generator) -> str | None:
    if len(text) < 2:
        return None
    s = _pick(rng, SEPARATORS)
    if rng.random() < 0.5:
        return s.join(text)
    i = int(rng.integers(1, len(text)))
    return text[:i] + s + text[i:]


def split_chars(text: str, rng: np.random.Generator | None = None) -> str | None:
    if not any(c in SPLITS for c in text):
        return None
    return "".join(SPLITS.get(c, c) for c in text)


def standins(text: str, rng: np.random.Generator) -> str | None:
    pos = [i for i, c in enumerate(text) if c in STANDINS]
    if not pos:
        return None
    chars = list(text)
    i = _pick(rng, pos)
    chars[i] = _pick(rng, STANDINS[chars[i]])
    return "".join(chars)


NAME_TRICKS = {
    "homophone": homophone,
    "similar_shape": similar_shape,
    "pinyin": pinyin,
    "initials": initials,
    "traditional": traditional,
    "digits": insert_digits,
    "symbols": insert_symbols,
    "emoji": insert_emoji,
    "full_width": full_width,
    "decorative": decorate,
}
#: Tricks that rewrite the name beyond recognition for a plain string comparison.
HEAVY_TRICKS = {"pinyin", "initials"}

POST_TRICKS = {
    "homophone": homophone,
    "pinyin": pinyin,
    "initials": initials,
    "separators": separators,
    "zero_width": zero_width,
    "traditional": traditional,
    "split_chars": split_chars,
    "standins": standins,
    "full_width": full_width,
}


def apply_name_tricks(name: str, tricks: list[str], rng: np.random.Generator) -> tuple[str, list[str]]:
    """Apply the planned tricks in order; a trick that cannot change the name is
    replaced by one that can. Returns the new name and the tricks actually used."""
    used: list[str] = []
    fallback = ["homophone", "digits", "symbols", "decorative", "emoji"]
    for t in tricks:
        if t == "full_width" and not any("!" <= c <= "~" for c in name):
            # Full-width needs ASCII: spell a piece in pinyin or add digits first.
            name = insert_digits(name, rng)
            used.append("digits")
        new = NAME_TRICKS[t](name, rng)
        if new is None or new == name:
            for f in fallback:
                if f in used:
                    continue
                new = NAME_TRICKS[f](name, rng)
                if new is not None and new != name:
                    t = f
                    break
        if new is not None and new != name:
            name = new
            if t not in used:
                used.append(t)
    return name, used


def disguise_term(term: str, trick: str, rng: np.random.Generator) -> str | None:
    return POST_TRICKS[trick](term, rng)

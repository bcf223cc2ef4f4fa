"""Seeded, realistic reply libraries of an apparel shop and query sets with known targets,
for bench/search.py.

The library is one generated sequence; a size-n library is its first n replies, so the 1k
library is part of the 10k one. Everything the product stores at write time (search_keys,
and the peers' pinyin columns) is computed here, outside any timed build.
"""

from __future__ import annotations

import importlib.resources
import math
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pypinyin import lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict

from kefu.replies.search.keys import search_keys_for
from kefu.replies.search.text import fold, is_han, readings

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


PRODUCTS = words("""
    连衣裙 羽绒服 卫衣 牛仔裤 T恤 衬衫 大衣 毛衣 运动鞋 半身裙 西装 风衣 打底衫 针织衫 阔腿裤
    休闲裤 帆布鞋 棉服 马甲 短裤 睡衣 羊毛衫 长裙 外套 夹克 冲锋衣 背心 吊带 雪纺衫 卫裤 瑜伽裤
    老爹鞋 羊绒衫 polo衫 西裤 工装裤""")
MODIFIERS = words("长款 短款 加绒 宽松 修身 男款 女款 童装 加厚 薄款 新款 重磅 oversize 高腰")

# topic -> (top category, qualifiers that make sense after it, tags)
TOPICS: dict[str, tuple[str, str, str]] = {
    "尺码": ("售前咨询", "推荐 偏大 偏小 怎么选 对照表 不合适 标准吗 换大一码 参考", "尺码 售前"),
    "面料": ("售前咨询", "成分 说明 会起球吗 透气吗 厚不厚 缩水吗 会掉色吗 扎不扎 手感",
             "面料 售前"),
    "价格": ("售前咨询", "保价 差价 降价了 能便宜吗 比价 调整说明 优惠", "价格 售前"),
    "库存": ("售前咨询", "查询 缺货 补货时间 预留 还有吗", "库存 售前"),
    "洗涤": ("售前咨询", "说明 方法 保养 能机洗吗 注意事项", "面料 售后"),
    "会员": ("售前咨询", "积分 等级 权益 生日礼 入会", "会员"),
    "发货": ("物流发货", "时间 多久 延迟 催促 安抚 什么时候发 顺序说明 地区 重新安排", "物流 发货"),
    "快递": ("物流发货", "选择 到哪了 停滞不动 破损 丢件 派送 指定 还没到 不方便收", "物流"),
    "物流": ("物流发货", "查询 不更新 异常 太慢 显示签收 长时间不动 信息错误", "物流"),
    "地址": ("物流发货", "修改 填错 更换 偏远地区 行政区", "物流 售前"),
    "预售": ("物流发货", "发货时间 说明 能否提前发 定金规则 长周期", "预售 活动"),
    "退款": ("售后服务", "到账时间 流程 进度 申请 被拒 原路返回 多久到 还没到账 银行卡",
             "售后 退款"),
    "退货": ("售后服务", "流程 地址 运费 运费谁出 条件 寄回 七天无理由 审核 退还", "售后 退货"),
    "换货": ("售后服务", "流程 运费 换尺码 换颜色 调换 多久寄出 条件", "售后 换货"),
    "破损": ("售后服务", "处理 补发 拍照取证 赔偿 安抚", "售后 安抚"),
    "少发": ("售后服务", "补发 核实 漏发处理 配件", "售后"),
    "错发": ("售后服务", "换货 重新发货 处理流程 道歉 调换", "售后 安抚"),
    "色差": ("售后服务", "解释 处理 退换 说明", "售后 质量"),
    "质量": ("售后服务", "问题 投诉 线头 开线 起球 掉色 异味 检测报告", "售后 质量 投诉"),
    "运费险": ("售后服务", "理赔 说明 没有生效 赔付多少", "售后 退货"),
    "优惠券": ("活动优惠", "使用 怎么领 过期 不能用 叠加 门槛 补发", "活动 优惠"),
    "满减": ("活动优惠", "规则 怎么算 凑单 退款怎么算 活动时间", "活动 大促"),
    "赠品": ("活动优惠", "没收到 说明 漏发 不单独退 随机发", "活动"),
    "定金": ("活动优惠", "不退说明 怎么付 膨胀 退还规则", "预售 活动"),
    "尾款": ("活动优惠", "支付提醒 时间 忘记付 怎么付", "预售 催付"),
    "返现": ("活动优惠", "规则 到账 怎么领", "活动 好评"),
    "直播": ("活动优惠", "专享价 福利 抽奖 下单方式", "活动 直播"),
    "催付": ("催付转化", "话术 提醒 优惠刺激 库存紧张 下单未付", "催付"),
    "好评": ("评价维护", "引导 返现 邀请 晒图 追评", "好评"),
    "差评": ("评价维护", "处理 挽回 回复 安抚", "投诉 安抚"),
    "安抚": ("评价维护", "客户情绪 话术 道歉 补偿方案", "安抚"),
    "发票": ("发票", "开具 抬头 电子发票 专票 补开 税号 重开", "发票"),
}
SITUATIONS = words("""
    快递破损安抚 少发漏发补发 错发换货流程 还没收到货 物流长时间不更新 重新发货说明 客户要求便宜点
    客户嫌贵 客户催发货 客户要求退款 客户说尺码不合适 银行卡退款到账 调整发货顺序 顺便问一下尺码
    店长推荐款 差价退还说明 出差不方便收货 头发粘在衣服上 行李箱托运变形 衣服有线头 衣服有异味
    洗后缩水 穿着起球 颜色和图片不一样 七天无理由退货 拒收后退款 签收后发现破损 地址填错了 想换颜色
    想换尺码 预售什么时候发 定金能退吗 尾款忘记付 优惠券用不了 满减没算上 赠品没收到 好评返现规则
    差评挽回 发票怎么开 会员积分兑换 直播间专享价 催付款话术 重复下单了 下单后想改地址 快递不送上楼
    快递放驿站了 包裹显示签收没收到""")
SUFFIXES = ("（直播间）", "（老客）", "（大促期间）", "（抖音）", "（淘宝）", "（拼多多）",
            "（京东）", "（会员）", "-新版", "（夜班）", "（周末）", "（海外）")
OPENINGS = ("亲，", "亲爱的，", "您好，", "亲亲，", "宝，", "亲~", "您好呀，")
FILLS = {
    "F": words("纯棉 涤纶 羊毛 真丝 莫代尔 雪纺 灯芯绒 牛仔布 桑蚕丝 天丝"),
    "feel": words("柔软亲肤 透气不闷 保暖性好 垂感很好 不易变形 挺括有型"),
    "S": words("S M L XL XXL"),
    "E": words("中通 圆通 顺丰 韵达 申通 邮政 极兔"),
}
SENTENCES = (
    "{P}的{A}问题我们这边已经帮您查询了",
    "一般{n}天内处理完成，请您耐心等待",
    "如果还有其他问题，随时联系我们哦",
    "这边已经给您登记，仓库会尽快安排",
    "麻烦您提供一下订单号和照片，我们马上为您处理",
    "退款会原路返回，到账时间以银行为准",
    "我们的{P}采用{F}面料，{feel}",
    "建议您按照尺码表选择，身高{h}cm体重{w}斤可以选{S}码",
    "活动期间下单满{m}减{d}，优惠券可以叠加使用",
    "给您带来不便非常抱歉，还请您谅解",
    "预售商品会在付款后{n}天内发出",
    "快递默认发{E}，偏远地区需要补运费差价",
    "感谢您的支持，收到货满意的话麻烦给个五星好评哦",
    "发票可以在订单详情里申请，电子发票会发到您的邮箱",
    "重新发货的单号稍后会同步给您",
    "调换尺码的话来回运费由我们承担",
    "{A}的规则是这样的：{A}{Q}以页面说明为准",
    "您的包裹目前在{E}转运中心，预计{n}天送达",
    "衣服建议冷水手洗，不要长时间浸泡，也不要暴晒",
    "色差是拍摄灯光和屏幕显示造成的，实物以收到的为准",
    "这款{P}是我们店的爆款，已经卖出{m}件了",
    "您放心，我们是正品保证，支持七天无理由退换",
    "方便的话可以加一下我们的会员群，不定期有福利",
    "仓库这边核实了，确实是我们少发了，马上给您补发",
    "非常抱歉发错了，您直接拒收或者寄回，运费我们出",
    "现在下单还有赠品，数量有限，送完为止",
    "您的订单还没付款，库存紧张，喜欢的话尽快下单哦",
    "您反馈的{A}问题已经提交给主管，会在{n}小时内回复您",
)
QUESTION_FORMS = ("{P}{A}怎么{v}", "我的{A}怎么还没好", "可以{A}吗", "{A}要多久", "{P}会不会{i}",
                  "{A}是什么规则", "这个{A}{Q}吗", "{P}有{S}码吗", "能不能便宜点", "什么时候发货")
VERBS = words("办 弄 算 处理 申请")
ISSUES = words("起球 掉色 缩水 变形 勾丝")


@dataclass
class Query:
    kind: str
    text: str
    target: int  # reply id
    title_part: str  # the title substring the query was made from
    body_part: str = ""  # and, for AND queries, the body substring


Made = tuple[str, ...] | None  # (query, title substring[, body substring])


def _syllable(ch: str) -> str:
    rds = readings(ch)
    return rds[0] if rds else ch.lower()


def pinyin_full(text: str) -> str:
    return "".join(_syllable(c) for c in text)


def pinyin_initials(text: str) -> str:
    return "".join(_syllable(c)[0] for c in text)


def peer_pinyin(title: str) -> tuple[str, str]:
    """What an app would store for FTS5/tantivy: pypinyin's contextual reading of the folded
    title (还款 huankuan), space-free, and its initials."""
    sylls = [s.lower() for s in lazy_pinyin(fold(title), errors=lambda x: list(x))]
    sylls = [s for s in sylls if s.strip()]
    return "".join(sylls), "".join(s[0] for s in sylls)


class Generator:
    def __init__(self, seed: int = 20260501) -> None:
        self.rng = random.Random(seed)
        self.titles: set[str] = set()
        self.codes: dict[str, int] = {}
        self.top_ids = {c: i + 1 for i, c in enumerate(dict.fromkeys(
            t[0] for t in TOPICS.values()))}
        self.sub_ids = {t: 100 + i for i, t in enumerate(TOPICS)}

    def _title(self) -> tuple[str, str]:
        r = self.rng
        for attempt in range(40):
            topic = r.choice(list(TOPICS))
            quals = TOPICS[topic][1].split()
            product = r.choice(PRODUCTS)
            if r.random() < 0.3:
                product = r.choice(MODIFIERS) + product
            form = r.random()
            if form < 0.35:
                title = product + topic + r.choice(quals)
            elif form < 0.65:
                title = topic + r.choice(quals)
            elif form < 0.85:
                title = r.choice(SITUATIONS)
                if r.random() < 0.5:
                    title = product + title
                topic = next((t for t in TOPICS if t in title), topic)
            elif form < 0.93:
                title = topic + r.choice(quals) + "-" + product
            else:
                title = "客户问" + product + topic + r.choice(quals)
            if attempt >= 3 or r.random() < 0.08:
                title += r.choice(SUFFIXES)
            if attempt >= 20:
                title = title[:12] + str(r.randint(2, 99))
            if 4 <= len(title) <= 16 and title not in self.titles:
                self.titles.add(title)
                return title, topic
        raise RuntimeError("title space exhausted")

    def _fill(self, template: str, product: str, topic: str) -> str:
        r = self.rng
        values = {"P": product, "A": topic, "Q": r.choice(TOPICS[topic][1].split()),
                  "n": str(r.randint(1, 15)), "m": str(r.choice((99, 199, 299, 500, 1000))),
                  "d": str(r.choice((10, 20, 30, 50))), "h": str(r.randint(150, 185)),
                  "w": str(r.randint(80, 180)), "v": r.choice(VERBS), "i": r.choice(ISSUES)}
        for key, options in FILLS.items():
            values[key] = r.choice(options)
        return template.format(**values)

    def _body(self, title: str, product: str, topic: str) -> str:
        r = self.rng
        target = r.randint(30, 200)
        text = r.choice(OPENINGS)
        if r.random() < 0.5:
            text += f"关于{title.split('（')[0]}，"
        for template in r.sample(SENTENCES, len(SENTENCES)):
            sentence = self._fill(template, product, topic) + r.choice("，。！~")
            if len(text) >= target or (len(text) >= 30 and len(text) + len(sentence) > 200):
                break
            text += sentence
        return text[:200]

    def _shortcut(self, title: str) -> str:
        han = [c for c in fold(title) if is_han(c) or (c.isascii() and c.isalnum())][:3]
        stem = "".join(_syllable(c)[0] for c in han) or "q"
        n = self.codes.get(stem, 0) + 1
        self.codes[stem] = n
        return f"/{stem}{n}"

    def reply(self, rid: int) -> dict[str, Any]:
        r = self.rng
        title, topic = self._title()
        product = next((p for p in PRODUCTS if p in title), r.choice(PRODUCTS))
        top, _q, tag_text = TOPICS[topic]
        tags = tag_text.split()
        tags = tags[: r.randint(1, min(3, len(tags)))]
        if len(tags) < 3 and r.random() < 0.3:
            tags.append(r.choice(("大促", "新品", "夜班", "老客", "直播")))
        questions = [self._fill(r.choice(QUESTION_FORMS), product, topic)
                     for _ in range(r.choice((0, 0, 1, 1, 2, 3, 4)))]
        usage = min(int(self._zipf()) - 1, 20000)
        last_used = None
        if usage:
            days = min(365.0, r.expovariate(1.0) * 60.0 / (1.0 + math.log1p(usage)))
            last_used = NOW - timedelta(days=days)
        row: dict[str, Any] = {
            "id": rid, "key": "", "title": title, "body": self._body(title, product, topic),
            "shortcut": self._shortcut(title) if r.random() < 0.4 else "",
            "tags": list(dict.fromkeys(tags)), "questions": list(dict.fromkeys(questions)),
            "library_id": 1, "category_id": self.sub_ids[topic],
            "top_category_id": self.top_ids[top], "category_path": [top, topic],
            "updated_at": NOW - timedelta(days=r.uniform(0, 730)),
            "usage_count": usage, "last_used_at": last_used,
        }
        row["search_keys"] = search_keys_for(row)
        row["py"], row["ini"] = peer_pinyin(title)
        return row

    def _zipf(self) -> int:
        # Zipf(a=1.6) by inversion of its continuous approximation: P(k) ~ k^-a.
        u = self.rng.random()
        return int((1.0 - u) ** (-1.0 / 0.6))


def library(n: int, seed: int = 20260501) -> list[dict[str, Any]]:
    gen = Generator(seed)
    return [gen.reply(i + 1) for i in range(n)]


# --- queries ---------------------------------------------------------------------------

KINDS = ("hanzi", "pinyin", "pinyin_partial", "initials", "mixed", "shortcut", "typo",
         "missing_char", "traditional", "and")
# Beyond the issue's kinds (--tails): what agents also type or paste, where no exact match
# of the whole exists and the engine falls back to its slower paths. A buyer's phrase
# around a title's words; a passage pasted from a reply, punctuation and all (several
# terms); pinyin with letters typed past it; a number in a body written in Chinese.
TAIL_KINDS = ("phrase", "pasted", "garbled", "numeral")
PHRASE_FORMS = ("我想问一下{}怎么弄", "请问{}是什么情况啊", "{}怎么办呢", "那个{}能帮我看下吗")
JUNK = "qxzvjk0123456789"
EDGE_MARKS = " ，。！？~、；：,.!?;:"
DIGIT_NAMES = "零一二三四五六七八九"
NUMBER_IN_TEXT = re.compile(r"([\u4e00-\u9fff]{1,3})([1-9][0-9]?)(?![0-9])([\u4e00-\u9fff]{1,3})")


def _han_runs(text: str, least: int) -> list[str]:
    runs, cur = [], ""
    for ch in text:
        if is_han(ch):
            cur += ch
        else:
            if len(cur) >= least:
                runs.append(cur)
            cur = ""
    if len(cur) >= least:
        runs.append(cur)
    return runs


def _substring(rng: random.Random, text: str, lo: int, hi: int) -> str | None:
    size = rng.randint(lo, hi)
    runs = _han_runs(text, size)
    if not runs:
        return None
    run = rng.choice(runs)
    start = rng.randint(0, len(run) - size)
    return run[start:start + size]


def _gb2312_level1(ch: str) -> bool:
    try:
        b = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and 0xB0 <= b[0] <= 0xD7


class QueryMaker:
    def __init__(self, rows: list[dict[str, Any]], seed: int) -> None:
        self.rows = rows
        self.rng = random.Random(seed)
        self.homophones: dict[str, list[str]] = {}
        for code in pinyin_dict:
            ch = chr(code)
            if _gb2312_level1(ch):
                self.homophones.setdefault(readings(ch)[0], []).append(ch)
        st = importlib.resources.files("opencc") / "dictionary" / "STCharacters.txt"
        self.to_trad = {}
        for line in st.read_text(encoding="utf-8").splitlines():
            simp, _, trad = line.partition("\t")
            if len(simp) == 1 and trad:
                self.to_trad[simp] = trad.split(" ")[0]

    def make(self, kind: str, count: int) -> list[Query]:
        out: list[Query] = []
        maker = getattr(self, "_" + kind)
        while len(out) < count:
            row = self.rng.choice(self.rows)
            made = maker(row)
            if made:
                text, title_part, *body_part = made
                out.append(Query(kind, text, row["id"], title_part, "".join(body_part)))
        return out

    def _sub(self, row: dict[str, Any], lo: int = 2, hi: int = 4) -> str | None:
        return _substring(self.rng, row["title"], lo, hi)

    def _hanzi(self, row: dict[str, Any]) -> Made:
        sub = self._sub(row)
        return (sub, sub) if sub else None

    def _pinyin(self, row: dict[str, Any]) -> Made:
        sub = self._sub(row)
        return (pinyin_full(sub), sub) if sub else None

    def _pinyin_partial(self, row: dict[str, Any]) -> Made:
        sub = self._sub(row)
        if not sub or len(_syllable(sub[-1])) < 2:
            return None
        last = _syllable(sub[-1])
        return pinyin_full(sub[:-1]) + last[: self.rng.randint(1, len(last) - 1)], sub

    def _initials(self, row: dict[str, Any]) -> Made:
        sub = self._sub(row)
        return (pinyin_initials(sub), sub) if sub else None

    def _mixed(self, row: dict[str, Any]) -> Made:
        sub = self._sub(row, 2, 3)
        if not sub:
            return None
        if self.rng.random() < 0.5:  # 退kuan, 退huanhuo
            return sub[0] + pinyin_full(sub[1:]), sub
        cut = self.rng.randint(1, len(sub) - 1)  # t款, th货
        return pinyin_initials(sub[:cut]) + sub[cut:], sub

    def _shortcut(self, row: dict[str, Any]) -> Made:
        return (row["shortcut"], "") if row["shortcut"] else None

    def _typo(self, row: dict[str, Any]) -> Made:
        sub = self._sub(row)
        if not sub:
            return None
        i = self.rng.randrange(len(sub))
        options = [c for c in self.homophones.get(_syllable(sub[i]), ())
                   if c != sub[i] and fold(c) != sub[i]]
        if not options:
            return None
        return sub[:i] + self.rng.choice(options) + sub[i + 1:], sub

    def _missing_char(self, row: dict[str, Any]) -> Made:
        sub = self._sub(row, 4, 4)
        if not sub:
            return None
        i = self.rng.choice((1, 2))  # inside: dropping an end just leaves a substring
        return sub[:i] + sub[i + 1:], sub

    def _traditional(self, row: dict[str, Any]) -> Made:
        sub = self._sub(row)
        if not sub:
            return None
        trad = "".join(self.to_trad.get(c, c) for c in sub)
        return (trad, sub) if trad != sub else None

    def _and(self, row: dict[str, Any]) -> Made:
        a = self._sub(row, 2, 3)
        b = _substring(self.rng, row["body"], 2, 3)
        return (f"{a} {b}", a, b) if a and b and a != b else None


    def _phrase(self, row: dict[str, Any]) -> Made:
        sub = self._sub(row)
        return (self.rng.choice(PHRASE_FORMS).format(sub), sub) if sub else None

    def _pasted(self, row: dict[str, Any]) -> Made:
        body = row["body"]
        size = self.rng.randint(6, 16)
        if len(body) < size + 2:
            return None
        start = self.rng.randrange(len(body) - size)
        part = body[start:start + size]
        held = part.strip(EDGE_MARKS)  # a reply holding it between other marks is as good
        return (part, "", held) if held else None

    def _garbled(self, row: dict[str, Any]) -> Made:
        sub = self._sub(row)
        if not sub:
            return None
        junk = "".join(self.rng.choice(JUNK) for _ in range(self.rng.randint(1, 6)))
        return pinyin_full(sub) + junk, sub

    def _numeral(self, row: dict[str, Any]) -> Made:
        found = list(NUMBER_IN_TEXT.finditer(row["body"]))
        if not found:
            return None
        m = self.rng.choice(found)
        n = int(m.group(2))
        tens, ones = divmod(n, 10)
        chinese = (("" if tens == 1 else DIGIT_NAMES[tens]) + "十" if tens else "") + \
            (DIGIT_NAMES[ones] if ones else "")
        return m.group(1) + chinese + m.group(3), "", m.group(0)


def intended(row: dict[str, Any], q: Query) -> bool:
    """Whether a result holds what the query was made from (any reply, not only the target):
    the same title substring (and body substring for AND); the exact reply for a shortcut."""
    if q.kind == "shortcut":
        return bool(row["id"] == q.target)
    return q.title_part in row["title"] and q.body_part in row["body"]


def query_set(rows: list[dict[str, Any]], per_kind: int, seed: int,
              kinds: tuple[str, ...] = KINDS) -> list[Query]:
    """Queries of each kind in turn: a kind added at the end leaves the others as they were."""
    maker = QueryMaker(rows, seed)
    return [q for kind in kinds for q in maker.make(kind, per_kind)]


def ideal_recall(rows: list[dict[str, Any]], queries: list[Query]
                 ) -> tuple[float, float, float]:
    """For hanzi queries: the expected recall@1 and @5 of a ranker that orders the replies
    whose title contains the query by usage (ties broken at random), and the median number
    of such replies."""
    titles = [fold(r["title"]) for r in rows]
    usage = [r["usage_count"] for r in rows]
    pos = {r["id"]: i for i, r in enumerate(rows)}
    at1 = at5 = 0.0
    counts = []
    hanzi = [q for q in queries if q.kind == "hanzi"]
    for q in hanzi:
        docs = [i for i, t in enumerate(titles) if q.text in t]
        counts.append(len(docs))
        mine = usage[pos[q.target]]
        above = sum(1 for i in docs if usage[i] > mine)
        tied = sum(1 for i in docs if usage[i] == mine)
        at1 += 1.0 / tied if above == 0 else 0.0
        at5 += min(1.0, (5 - above) / tied) if above < 5 else 0.0
    counts.sort()
    n = max(1, len(hanzi))
    return at1 / n, at5 / n, float(counts[len(counts) // 2]) if counts else 0.0

"""Reading a buyer's message: clean it, pull out order/tracking numbers and the like, mask
personal data, and notice anger or complaint risk.

Everything here is pure text work (no database), so the retrieval model, the API and the
benchmark all see a message the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from pypinyin import lazy_pinyin

from kefu.replies.search.text import fold
from kefu.replies.text import mask_personal_data

MESSAGE_MAX = 2000

# --- cleaning ---------------------------------------------------------------------------

# Colloquial and internet spellings buyers type, to the words replies are written in.
# Longest first, so 肿么办 wins over 肿么.
COLLOQUIAL = {
    "肿么办": "怎么办", "肿么": "怎么", "神马": "什么", "虾米": "什么", "木有": "没有",
    "米有": "没有", "么有": "没有", "有木有": "有没有", "啥时候": "什么时候", "啥时": "什么时候",
    "咋办": "怎么办", "咋整": "怎么办", "咋样": "怎么样", "咋": "怎么", "啥": "什么",
    "滴": "的", "灰常": "非常", "表酱紫": "不要这样", "酱紫": "这样", "介个": "这个",
    "造吗": "知道吗", "伐": "吗", "么么哒": "", "亲们": "", "宝宝们": "",
    "发货了木": "发货了没有",
}
_COLLOQUIAL_RE = re.compile("|".join(re.escape(k) for k in sorted(COLLOQUIAL, key=len,
                                                                   reverse=True)))

# Greetings and fillers at the start or on their own; they say nothing about the need.
_GREETING_RE = re.compile(
    r"^(?:(?:亲爱的|亲亲|亲|你好|您好|hello|hi|哈喽|嗨|在吗|在不在|在嘛|在么|有人吗|有人在吗|"
    r"客服|掌柜|老板|店家|小姐姐|小哥哥|美女|请问|麻烦问一下|问一下|打扰了|早上好|晚上好|"
    r"下午好)[\s,，.。!！?？~～、]*)+", re.IGNORECASE)
# Emoji and pictographs (emoticons, symbols, flags, variation selectors).
_EMOJI_RE = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D"
                       "\U0001F1E6-\U0001F1FF]+")
# Platform emoticon codes: 旺旺 /:^_^ /:066, 咚咚 [微笑], #E-s01, text faces ^_^ (*^▽^*).
# A bracket holding "x" or a digit is a JDDC-style placeholder ([订单x]) and is kept.
_EMOTICON_RE = re.compile(r"/:[\w^_~@!?*]{1,8}|#E-[a-z]\d{2}|\[[\u4e00-\u9fff]{1,4}\]"
                          r"|\^_*\^|\(\*?\^[^)]{0,4}\^\*?\)|[oO]\(∩_∩\)[oO]|:[-]?[)(DPp]")
# Order cards pasted from the platform: "订单号：... 商品：... 实付：¥..." lines.
_CARD_RE = re.compile(r"(?:商品(?:名称)?|规格|数量|实付(?:款)?|下单时间|付款时间|订单状态|"
                      r"收货人|收货地址)[:：][^\n]*")
_SPACE_RE = re.compile(r"\s+")


def clean(text: str) -> str:
    """Fold (simplified, half width, lower case), drop emoji, emoticon codes, pasted order
    cards and leading greetings, and spell colloquialisms the way replies do."""
    text = fold(text or "")
    text = _EMOJI_RE.sub(" ", text)
    text = _EMOTICON_RE.sub(" ", text)
    text = _CARD_RE.sub(" ", text)
    text = _COLLOQUIAL_RE.sub(lambda m: COLLOQUIAL[m.group(0)], text)
    text = _SPACE_RE.sub(" ", text).strip()
    return _GREETING_RE.sub("", text).strip()


# --- entities ---------------------------------------------------------------------------

ORDER_CONTEXT = re.compile(r"订单|单号|order", re.IGNORECASE)
SHIPPING_CONTEXT = re.compile(r"快递|物流|运单|包裹|单号|顺丰|圆通|中通|申通|韵达|极兔|邮政|ems|"
                              r"京东物流|德邦", re.IGNORECASE)
CARRIER_WORDS = {"顺丰": "SF", "圆通": "YTO", "中通": "ZTO", "申通": "STO", "韵达": "YD",
                 "极兔": "JT", "邮政": "EMS", "ems": "EMS", "德邦": "DBL", "京东物流": "JD"}

# Letter-prefixed tracking numbers are unambiguous wherever they appear.
_TRACKING_PREFIXED = [
    ("SF", re.compile(r"(?<![a-z0-9])sf\d{12,15}(?!\d)")),
    ("YTO", re.compile(r"(?<![a-z0-9])yt\d{13,15}(?!\d)")),
    ("JT", re.compile(r"(?<![a-z0-9])jt\d{13,15}(?!\d)")),
    ("EMS", re.compile(r"(?<![a-z0-9])[a-z]{2}\d{9}cn(?![a-z0-9])")),
    ("JD", re.compile(r"(?<![a-z0-9])jd[a-z]?\d{12,15}(?!\d)")),
    ("DBL", re.compile(r"(?<![a-z0-9])dpk\d{12}(?!\d)")),
]
# Pinduoduo order numbers: a yymmdd date, a dash, 15 digits.
_PDD_RE = re.compile(r"(?<!\d)\d{6}-\d{15}(?!\d)")
_DIGITS_RE = re.compile(r"(?<![\d.])\d{9,20}(?![\d.])")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]\d{4}[- ]\d{4}(?!\d)"
                       r"|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")
# Digit-only tracking numbers by their carriers' usual prefixes and lengths.
_DIGIT_CARRIERS = [
    ("STO", re.compile(r"^(?:77|268|368|58)\d{10,11}$")),
    ("YD", re.compile(r"^(?:31|43|46|33|19|12|10)\d{11}$")),
    ("ZTO", re.compile(r"^(?:7[0-9]|5[0-9]|6[0-9])\d{10}(?:\d{2})?$")),
    ("EMS", re.compile(r"^(?:11|98|99|50|51|10)\d{11}$")),
]

_CN_NUM = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9, "十": 10, "半": 0.5}
_AMOUNT_RE = re.compile(r"[¥￥]\s*(\d+(?:\.\d{1,2})?)|(\d+(?:\.\d{1,2})?)\s*(?:元|块钱|块|rmb)",
                        re.IGNORECASE)
_DAY_WORDS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3, "昨天": -1,
              "前天": -2}
_DATE_RE = re.compile(r"(?:(\d{4})[年\-/.])?(\d{1,2})[月\-/.](\d{1,2})[日号]?"
                      r"|大后天|今天|今日|明天|明日|后天|昨天|前天")
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?|[一二两三四五六七八九十半]+)\s*(?:个)?"
                          r"(工作日|天|日|小时|钟头|分钟|周|星期|礼拜|个月|月)(?![\d一二两三四五六七八九十])")
_UNIT_DAYS = {"工作日": 1.0, "天": 1.0, "日": 1.0, "小时": 1 / 24, "钟头": 1 / 24,
              "分钟": 1 / 1440, "周": 7.0, "星期": 7.0, "礼拜": 7.0, "个月": 30.0, "月": 30.0}


def _cn_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        pass
    if not text or any(c not in _CN_NUM for c in text):
        return None
    if text == "半":
        return 0.5
    if "十" in text:
        tens, _, ones = text.partition("十")
        return float((_CN_NUM.get(tens, 1) if tens else 1) * 10 + (_CN_NUM.get(ones, 0)
                                                                     if ones else 0))
    return float(_CN_NUM[text[0]]) if len(text) == 1 else None


def _carrier_near(text: str, start: int) -> str | None:
    window = text[max(0, start - 12):start]
    for word, code in CARRIER_WORDS.items():
        if word in window:
            return code
    return None


@dataclass
class Entities:
    order_numbers: list[dict[str, str]] = field(default_factory=list)
    tracking_numbers: list[dict[str, str]] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    amounts: list[float] = field(default_factory=list)
    dates: list[dict[str, str]] = field(default_factory=list)
    durations: list[dict[str, Any]] = field(default_factory=list)

    def to_api_dict(self) -> dict[str, Any]:
        return {"order_numbers": self.order_numbers, "tracking_numbers": self.tracking_numbers,
                "phones": self.phones, "amounts": self.amounts, "dates": self.dates,
                "durations": self.durations}

    def variables(self) -> dict[str, str]:
        """Values for the reply variables a buyer's message can fill."""
        out = {}
        if self.order_numbers:
            out["订单号"] = self.order_numbers[0]["value"]
        if self.tracking_numbers:
            out["快递单号"] = self.tracking_numbers[0]["value"]
        return out

    def kinds(self) -> list[str]:
        """Which kinds were found: features for the retrieval model."""
        return [name for name, value in (("订单号", self.order_numbers),
                                         ("快递单号", self.tracking_numbers),
                                         ("电话", self.phones), ("金额", self.amounts),
                                         ("日期", self.dates), ("时长", self.durations))
                if value]


def extract_entities(text: str, today: date | None = None) -> Entities:
    """Order numbers (Taobao/Tmall 18-19 digits, JD 11-12, Pinduoduo yymmdd-15 digits),
    tracking numbers (SF, YTO, ZTO, STO, YD, JT, EMS...), phones, amounts, dates and
    durations. Ambiguous digit runs are read with the words around them."""
    found = Entities()
    low = fold(text or "")
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for carrier, pattern in _TRACKING_PREFIXED:
        for m in pattern.finditer(low):
            if free(*m.span()):
                taken.append(m.span())
                found.tracking_numbers.append({"value": m.group(0).upper(), "carrier": carrier})
    for m in _PDD_RE.finditer(low):
        if free(*m.span()):
            taken.append(m.span())
            found.order_numbers.append({"value": m.group(0), "platform": "pinduoduo"})
    for m in _PHONE_RE.finditer(low):  # spaced or dashed numbers are phones, not orders
        if free(*m.span()):
            taken.append(m.span())
            found.phones.append(re.sub(r"\D", "", m.group(0))[-11:])
    for m in _DIGITS_RE.finditer(low):
        if not free(*m.span()):
            continue
        digits, start = m.group(0), m.start()
        before = low[max(0, start - 10):start]
        order_ctx = bool(ORDER_CONTEXT.search(before)) and not re.search(
            r"快递单号|运单号|物流单号", before)
        ship_ctx = bool(SHIPPING_CONTEXT.search(before)) and not order_ctx
        near_carrier = _carrier_near(low, start)
        n = len(digits)
        taken.append(m.span())
        if n == 11 and _MOBILE_RE.match(digits) and not order_ctx:
            found.phones.append(digits)
        elif n in (18, 19) and not ship_ctx:
            platform = "douyin" if "抖音" in low or "抖店" in low else "taobao"
            found.order_numbers.append({"value": digits, "platform": platform})
        elif n in (11, 12) and not ship_ctx and not near_carrier:
            found.order_numbers.append({"value": digits, "platform": "jd"})
        elif ship_ctx or near_carrier or 12 <= n <= 15:
            guess = near_carrier or next((c for c, p in _DIGIT_CARRIERS if p.match(digits)), "")
            found.tracking_numbers.append({"value": digits, "carrier": guess})
        elif order_ctx:
            found.order_numbers.append({"value": digits, "platform": ""})
    for m in _AMOUNT_RE.finditer(low):
        if free(*m.span()):
            found.amounts.append(float(m.group(1) or m.group(2)))
    today = today or date.today()
    for m in _DATE_RE.finditer(low):
        if not free(*m.span()):
            continue
        word = m.group(0)
        if word in _DAY_WORDS:
            when = today + timedelta(days=_DAY_WORDS[word])
        else:
            year = int(m.group(1)) if m.group(1) else today.year
            try:
                when = date(year, int(m.group(2)), int(m.group(3)))
            except ValueError:
                continue
        taken.append(m.span())
        found.dates.append({"text": word, "date": when.isoformat()})
    for m in _DURATION_RE.finditer(low):
        if not free(*m.span()):
            continue
        value = _cn_number(m.group(1))
        if value is None:
            continue
        found.durations.append({"text": m.group(0), "days": round(value * _UNIT_DAYS[m.group(2)],
                                                                   4)})
    return found


def mask(text: str) -> str:
    """What may be stored of a buyer's message: phones and street addresses masked."""
    return mask_personal_data((text or "")[:MESSAGE_MAX])


# --- escalation -------------------------------------------------------------------------

# Words that mean a complaint, a dispute or a buyer losing patience; each is a reason.
ESCALATION_TERMS = (
    "投诉", "12315", "12345", "315", "消协", "消费者协会", "工商", "市场监管", "市场监督",
    "差评", "中评", "骗子", "骗人", "欺骗", "诈骗", "坑人", "黑店", "退一赔三", "假一赔三",
    "假一赔十", "退一赔十", "假货", "维权", "举报", "律师", "起诉", "法院", "曝光", "媒体",
    "小二介入", "平台介入", "申请介入", "垃圾", "气死", "无良", "太过分", "什么破", "再也不买",
    "态度差", "态度太差", "忽悠", "欺诈",
)
_ESCALATION_RE = re.compile("|".join(
    rf"(?<!\d){t}(?!\d)" if t.isdigit() else re.escape(t)
    for t in sorted(ESCALATION_TERMS, key=len, reverse=True)))
# "不会给差评", "没有投诉的意思": the buyer is reassuring, not threatening.
_NEGATED_RE = re.compile(r"(?:不会|不想|不要|不给|不是要|没有|没想|并不|不打算)[给打去要]?$")


def escalation_reasons(text: str) -> list[str]:
    low = fold(text or "")
    reasons = []
    for m in _ESCALATION_RE.finditer(low):
        if _NEGATED_RE.search(low[max(0, m.start() - 5):m.start()]):
            continue
        if m.group(0) not in reasons:
            reasons.append(m.group(0))
    return reasons


# --- features for retrieval ---------------------------------------------------------------

# Placeholders of anonymized chat logs ([订单x], [数字x], [姓名x]) are entities too.
_PLACEHOLDER_RE = re.compile(r"\[([\u4e00-\u9fff]{1,4})x\]")
_NON_WORD_RE = re.compile(r"[^\w\u4e00-\u9fff]+")
_QUESTION_RE = re.compile(r"[?？]|吗$|呢$|么$")


@dataclass
class Understood:
    text: str  # the message as given (masked where it is stored)
    cleaned: str  # folded, greetings and noise removed, entities left in
    core: str  # cleaned with entities and punctuation removed: what words match on
    entities: Entities
    reasons: list[str]
    question: bool

    @property
    def escalate(self) -> bool:
        return bool(self.reasons)


_NUMBER_RE = re.compile(r"[a-z]{0,3}\d[\d.\-]*(?:cn)?")


def core_text(cleaned: str) -> str:
    """What words match on: cleaned text without placeholders, numbers (entities say what
    they are) and punctuation."""
    core = _PLACEHOLDER_RE.sub(" ", cleaned)
    core = _NUMBER_RE.sub(" ", core)
    return _NON_WORD_RE.sub("", core)


def understand(text: str, today: date | None = None) -> Understood:
    text = (text or "")[:MESSAGE_MAX]
    cleaned = clean(text)
    entities = extract_entities(cleaned, today)
    core = core_text(cleaned)
    return Understood(text=text, cleaned=cleaned, core=core, entities=entities,
                      reasons=escalation_reasons(text),
                      question=bool(_QUESTION_RE.search(cleaned)))


def features(u: Understood) -> list[str]:
    """Tokens the retrieval model counts: characters and character pairs of the core text,
    where the message starts and ends, entity kinds, a question mark, a length bucket."""
    c = u.core
    out = list(c) + [c[i:i + 2] for i in range(len(c) - 1)]
    if c:
        out += ["^" + c[:2], "$" + c[-2:], "^" + c[:1], "$" + c[-1:]]
    out += ["#" + k for k in u.entities.kinds()]
    out += ["#" + p for p in dict.fromkeys(_PLACEHOLDER_RE.findall(u.cleaned))]
    if u.question:
        out.append("#?")
    out.append(f"#len{min(len(c) // 3, 6)}")
    return out


# Ways of asking the same thing (question words, can/cannot, common verbs), each to one
# spelling, and particles that carry no meaning dropped: the sound view reads messages so.
# Domain-neutral on purpose; longest first, so 怎么会 wins over 怎么.
PHRASING = {
    "怎么样": "怎么", "怎样": "怎么", "如何": "怎么", "咋": "怎么", "怎么办": "怎么",
    "为啥": "为什么", "为何": "为什么", "怎么会": "为什么", "什么原因": "为什么",
    "无法": "不能", "不可以": "不能", "用不了": "不能用", "没法": "不能", "不了": "不能",
    "能不能": "能", "可不可以": "能", "可以": "能", "是否": "能",
    "多久": "什么时候", "何时": "什么时候", "时间": "时候",
    "还钱": "还款", "激活": "开通", "开启": "开通", "关掉": "关闭", "取消": "关闭",
    "帐": "账", "没有": "没", "一下": "", "请问": "", "需要": "要",
    "提升": "提高", "增加": "提高", "申请": "开通",
}
_PHRASING_RE = re.compile("|".join(re.escape(k) for k in sorted(PHRASING, key=len,
                                                                 reverse=True)))
_PARTICLES = frozenset("吗嘛呢么了的我啊呀吧")
_SOUNDS: dict[str, str] = {}


def _sound(char: str) -> str:
    """A character's first reading without tone (itself when it has none)."""
    found = _SOUNDS.get(char)
    if found is None:
        found = _SOUNDS[char] = lazy_pinyin(char)[0] if "\u4e00" <= char <= "\u9fff" else char
    return found


def sound_features(text: str) -> list[str]:
    """The sound view: phrasing folded, particles dropped, each character to its reading, as
    readings and pairs of readings. Typos that sound the same (花被, 花贝 for 花呗) and
    paraphrased question words then match; a second opinion next to text_features."""
    folded = _PHRASING_RE.sub(lambda m: PHRASING[m.group(0)],
                              _NON_WORD_RE.sub("", fold(text or "")))
    sounds = [_sound(c) for c in folded if c not in _PARTICLES]
    return ["~" + x for x in sounds] + [f"~{a} {b}" for a, b in pairwise(sounds)]


def text_features(text: str) -> list[str]:
    """Tokens of a reply's own text (title, body, example questions): characters and pairs."""
    c = _NON_WORD_RE.sub("", fold(text or ""))
    return list(c) + [c[i:i + 2] for i in range(len(c) - 1)]

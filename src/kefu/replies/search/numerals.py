"""Numbers written in digits or in Chinese numerals: 7天 and 七天, 双11 and 双十一.

Shops write both (七天无理由退换 next to 7天无理由, 双十一 next to 双11), and an agent types
whichever comes to hand. Search tries the other writing of a term's numbers in each tier
right after the writing typed, while the list is not full (engine.search_term): a different
writing of the same number is not a typo, so it ranks in the tier of where it matches.

Only numbers of up to three digits that stand among Chinese characters are rewritten: a
term of digits alone ("618", "1.5") is a code, a price or a size, and its digits stay
digits.
"""

from __future__ import annotations

import re

from kefu.replies.search.text import has_han

_DIGITS = "零一二三四五六七八九"
_HAN_DIGIT = {**{c: i for i, c in enumerate(_DIGITS)}, "〇": 0, "两": 2}
# A run of digits, not part of a decimal, a size or a code (1.5kg, 50%, SQ-001, /tk1).
_ARABIC = re.compile(r"(?<![\w.%/#-])\d{1,3}(?![\w.%])", re.ASCII)
_CHINESE = re.compile("[零〇一二两三四五六七八九十百]+")
# A numeral counts something when a measure word follows it (七天, 两件, 一次) or 双/第
# comes before (双十一, 第一): 一 in 一下, 一般 and 一直 is no number, and writing it as 1
# would only cost a search for 1下.
_UNITS = frozenset("天日号月年周时分秒件个只双套条次元块毛角折倍斤克码岁人单期位张份箱盒瓶包"
                   "米寸层台颗粒袋罐")
# Units of two characters whose first is no unit alone (一小部分, 一公开…): 五小时, 三公斤
_UNITS_TWO = ("小时", "公斤", "公里", "厘米", "毫米", "星期", "礼拜", "钟头")
_BEFORE = frozenset("双第")
_ANY_NUMBER = re.compile("[0-9零〇一二两三四五六七八九十百]")
MAX_VARIANTS = 3  # each costs a literal pass over the index


def to_chinese(number: str) -> list[str]:
    """Chinese writings of up to three digits: 11 → 十一, 24 → 二十四, 105 → 一百零五,
    300 → 三百, 2 → 二 and 两, 07 → 零七."""
    n = int(number)
    if number.startswith("0") and len(number) > 1:
        return ["".join(_DIGITS[int(d)] for d in number)]
    if n == 2:
        return ["二", "两"]
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = _DIGITS[hundreds] + "百" if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    elif hundreds and ones:
        out += "零"
    return [out + (_DIGITS[ones] if ones or not n else "")]


def to_arabic(numeral: str) -> str | None:
    """The digits of a Chinese numeral: 十一 → 11, 二十四 → 24, 一百零五 → 105, 六一八 →
    618; None for what is not a number (十十, 百五)."""
    if "十" not in numeral and "百" not in numeral:  # read digit by digit
        return "".join(str(_HAN_DIGIT[c]) for c in numeral)
    total, digit, unit, gap = 0, None, 1, False
    for c in numeral:
        if c in "零〇" and total:  # a gap after a unit: 一百零五
            gap = True
            continue
        if c in _HAN_DIGIT:
            if digit is not None:  # two digits in a row: 二三十
                return None
            digit = _HAN_DIGIT[c]
        else:
            unit = 10 if c == "十" else 100
            if total % (unit * 10) >= unit or (digit is None and (total or unit == 100)) \
                    or digit == 0:
                return None  # a unit twice or out of order (十十, 十百), 百 alone, 零十
            total += (1 if digit is None else digit) * unit
            digit = None
    if digit is not None:  # 三百五 is 350, 三百零五 305
        total += digit * (unit // 10 if unit > 10 and not gap else 1)
    return str(total)


def variants(term: str) -> list[str]:
    """The term with its numbers written the other way (at most MAX_VARIANTS, typed
    term excluded): "7天无理由" → ["七天无理由"]; "双十一" → ["双11"]; "2件" → ["二件",
    "两件"]. Empty when the term holds no number among Chinese characters."""
    # Runs for every term of every query that finds too little: the usual term, with no
    # number, is turned away by one regular expression (0.2 µs).
    if not _ANY_NUMBER.search(term) or not has_han(term):
        return []
    out: list[str] = []
    if any(ch.isdigit() for ch in term):
        runs = list(_ARABIC.finditer(term))
        if runs:
            # Each run's writings; 2 has two (二, 两), so the choices multiply, capped below.
            texts = [""]
            last = 0
            for m in runs:
                between = term[last:m.start()]
                texts = [t + between + w for t in texts
                         for w in to_chinese(m.group())][:MAX_VARIANTS]
                last = m.end()
            out += [t + term[last:] for t in texts]
    if _CHINESE.search(term):
        rewritten, changed = [], False
        last = 0
        for m in _CHINESE.finditer(term):
            run = m.group()
            counts = (term[m.end():m.end() + 1] in _UNITS
                      or term.startswith(_UNITS_TWO, m.end())
                      or term[m.start() - 1:m.start()] in _BEFORE
                      or (len(run) > 1 and ("十" in run or "百" in run)))
            digits = to_arabic(run) if counts else None
            rewritten.append(term[last:m.start()] + (digits or run))
            changed = changed or digits is not None
            last = m.end()
        if changed:
            out.append("".join(rewritten) + term[last:])
    return [v for v in dict.fromkeys(out) if v != term][:MAX_VARIANTS]

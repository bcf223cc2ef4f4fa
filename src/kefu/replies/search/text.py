"""Character-level text knowledge for search: folding, pinyin readings, fuzzy sounds.

Folding is strictly one character to one character (traditional → simplified, full width →
half width, upper → lower case), so offsets in folded text are offsets in the original:
highlights computed on folded text point at the right characters of what the user sees.
"""

from __future__ import annotations

import functools
import importlib.resources
import unicodedata

from pypinyin.pinyin_dict import pinyin_dict
from pypinyin_dict.pinyin_data.ktghz2013 import pinyin_dict as standard_dict


def _is_han(ch: str) -> bool:
    o = ord(ch)
    return 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FA1F


is_han = _is_han


def has_han(text: str) -> bool:
    """Whether ``text`` holds a Chinese character."""
    return any(_is_han(ch) for ch in text)


@functools.cache
def fold_table() -> dict[int, int]:
    table: dict[int, int] = {}
    # Traditional → simplified, one character each (the first simplified form OpenCC lists).
    dictionary = importlib.resources.files("opencc") / "dictionary" / "TSCharacters.txt"
    for line in dictionary.read_text(encoding="utf-8").splitlines():
        trad, _, simp = line.partition("\t")
        simp = simp.split(" ")[0].strip()
        if len(trad) == 1 and len(simp) == 1 and trad != simp:
            table[ord(trad)] = ord(simp)
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII
        table[code] = code - 0xFEE0
    table[0x3000] = 0x20  # ideographic space
    # 劵 (juàn, in no word in use) is the commonest miswriting of 券 in shops: 优惠劵 and
    # 优惠券 must find each other, and the sounds differ, so the typo passes cannot.
    table[ord("劵")] = ord("券")
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = code + 32
    for code in range(0xFF21, 0xFF3B):  # full-width capitals fold straight to lower case
        table[code] = code - 0xFEE0 + 32
    return table


def fold(text: str) -> str:
    """Simplified, half-width, lower-case; same length as the input."""
    return text.translate(fold_table())


# The marks of codes, sizes, prices and temperatures (/tk1, SQ-001, 1.5kg, 50%, #3, 30°C):
# part of a term.
_IN_TERMS = frozenset("/-_.#%&@+°℃℉")
_TRIM = "-_.#&@+"  # trimmed from a term's ends (退款. or -退款); '/' is not (/tk1)
_SEPARATING = ("P", "So")  # punctuation, and symbols such as emoji, ㊣ and ★


def _separates(ch: str) -> bool:
    return unicodedata.category(ch).startswith(_SEPARATING) and ch not in _IN_TERMS


@functools.cache
def _separators() -> dict[int, int]:
    """The punctuation and symbols of the Basic Multilingual Plane, each mapped to a space
    (625 punctuation marks and 2,731 symbols: 13 ms, once per process)."""
    table = {c: 0x20 for c in range(0x10000) if _separates(chr(c))}
    table.update({ord(c): 0x20 for c in "~`|^"})  # ～ folds to ~: "亲~" is a word and a sign
    return table


def query_terms(q: str) -> list[str]:
    """The folded terms of a query. Punctuation separates terms as a space does: agents
    paste buyers' words with it (退款。 “退款” 退款！！ 退款，运费), and a term holding it
    matched only replies that hold the same marks."""
    text = fold(q).translate(_separators())
    if text and max(text) > "\uffff":  # emoji and the like beyond the BMP
        text = "".join(" " if _separates(ch) else ch for ch in text)
    terms = [t.strip(_TRIM) for t in text.split()]
    return [t for t in terms if t]


# Characters besides marks: 退货，地址 is two words copied, not a passage; 您。尺码的规,
# cut from 感谢您。尺码的规格以页面为准, is part of a sentence (bench/search.py's pasted
# passages are 6–16 characters, marks included).
PASSAGE_LEAST = 5


def pasted_passage(q: str) -> str | None:
    """A passage pasted from a reply, its words separated by punctuation (亲，您的订单已发
    货！): folded, the marks at its ends trimmed. None for a single term, for terms with
    spaces between them (typed as separate words), and for a few words (退货，地址)."""
    text = fold(q)
    marks = text.translate(_separators())  # a space for every mark, same length
    start = len(marks) - len(marks.lstrip())
    end = len(marks.rstrip())
    text, marks = text[start:end], marks[start:end]
    if any(ch.isspace() for ch in text) or " " not in marks \
            or len(marks) - marks.count(" ") < PASSAGE_LEAST:
        return None
    return text


@functools.cache  # ~1,500 distinct readings among the dictionary's 40,000 characters
def _strip_tone(reading: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFD", reading)
                    if not unicodedata.combining(c))
    return plain.replace("ü", "v").lower()


@functools.cache
def _all_readings() -> dict[str, tuple[str, ...]]:
    """Every toneless reading pypinyin knows for each character, its usual one first."""
    out: dict[str, tuple[str, ...]] = {}
    for code, readings in pinyin_dict.items():
        toneless = tuple(dict.fromkeys(_strip_tone(r) for r in readings.split(",") if r))
        if toneless:
            out[chr(code)] = toneless
    return out


@functools.cache
def _readings_table() -> dict[str, tuple[str, ...]]:
    """The readings search gives each character: for the 8,105 characters of the 通用规范汉字
    字典 (2013), pypinyin's usual reading and the others that dictionary lists; for the rest,
    all of pypinyin's.

    pypinyin also lists readings that are archaic or found only in old texts (已 si, 是 ti,
    完 kuan, 能 tai/nai/xiong, 接 sha/cha): 2,351 readings of 1,781 characters in common use. As
    polyphones, they made initials match replies nobody reads that way: "sf" (顺丰) listed
    the much used 已发货修改地址 first. Real polyphones stay: 还 hai/huan, 行 xing/hang/heng,
    长, 重, 了 le/liao, 单 dan/shan/chan, 翟 di/zhai."""
    out = dict(_all_readings())
    for code, listed in standard_dict.items():
        ch = chr(code)
        standard = {_strip_tone(r) for r in listed.split(",") if r}
        everything = out.get(ch, ())
        kept = everything[:1] + tuple(r for r in everything[1:] if r in standard)
        out[ch] = kept + tuple(sorted(standard.difference(kept)))
    return out


def readings(ch: str) -> tuple[str, ...]:
    """The toneless readings of a character (还 → hai, huan); () for a non-Chinese one."""
    return _readings_table().get(ch, ())


@functools.cache
def syllables() -> frozenset[str]:
    """Every syllable of any reading pypinyin knows: what typed pinyin is split into."""
    return frozenset(r for rs in _all_readings().values() for r in rs if r.isalpha())


@functools.cache
def syllable_prefixes() -> frozenset[str]:
    return frozenset(s[:i] for s in syllables() for i in range(1, len(s) + 1))


# Sounds that people (and pinyin input methods with fuzzy mode) confuse.
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"), ("f", "h"), ("r", "l"))
_FUZZY_FINALS = (("iang", "ian"), ("uang", "uan"), ("ang", "an"), ("eng", "en"),
                 ("ing", "in"), ("ong", "on"))


@functools.cache
def fuzzy_key(syllable: str) -> str:
    """A coarse key shared by similar-sounding syllables (zhang ~ zan ~ zang)."""
    s = syllable
    for a, b in _FUZZY_INITIALS:
        if s.startswith(a):
            s = b + s[len(a):]
            break
    for a, b in _FUZZY_FINALS:
        if s.endswith(a):
            s = s[: -len(a)] + b
            break
    return s


def char_readings_string(text: str) -> str:
    """Readings of each character of ``text`` (already folded), space-separated, polyphones
    joined by '/', '_' for characters without a reading. This is what replies store."""
    return " ".join("/".join(readings(ch)) or "_" for ch in text)

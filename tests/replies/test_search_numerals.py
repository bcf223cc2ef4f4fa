"""Numbers written in digits or Chinese numerals (search/numerals.py)."""

from __future__ import annotations

import pytest

from kefu.replies.search.numerals import to_arabic, variants


@pytest.mark.parametrize(("numeral", "digits"), [
    ("七", "7"), ("十", "10"), ("十一", "11"), ("二十", "20"), ("二十四", "24"),
    ("两", "2"), ("一百零五", "105"), ("三百五", "350"), ("三百", "300"),
    ("一百一十", "110"), ("三百五十", "350"), ("六一八", "618"), ("零七", "07"),
    ("十十", None), ("百五", None), ("零十", None), ("二三十", None), ("十百", None),
])
def test_chinese_numerals_read_as_digits(numeral, digits):
    assert to_arabic(numeral) == digits


@pytest.mark.parametrize(("term", "expected"), [
    ("7天无理由", ["七天无理由"]),
    ("双11", ["双十一"]),
    ("双十一", ["双11"]),
    ("2件包邮", ["二件包邮", "两件包邮"]),
    ("24小时", ["二十四小时"]),
    ("十五天", ["15天"]),
    ("满三百减三十", ["满300减30"]),
    ("满300减30", ["满三百减三十"]),
    # Only numbers among Chinese characters, of one or two digits: codes, prices and
    # sizes keep their digits
    ("618", []), ("1.5kg", []), ("/tk1", []), ("sq-001", []), ("3.5折", []),
    ("50%以上", []), ("退款", []), ("十十", []),
    # Chinese numerals only where they count something: 一 in 一下 or 一般 is no number
    ("第一次", ["第1次"]), ("一件代发", ["1件代发"]), ("十一发货", ["11发货"]),
    ("一下", []), ("一般", []), ("一直没到", []), ("六一八", []),
    # Units of two characters count too, not their first alone
    ("会在五小时内", ["会在5小时内"]), ("两公斤", ["2公斤"]), ("一星期", ["1星期"]),
    ("一小部分", []), ("便宜一点", []),
])
def test_variants_write_a_terms_numbers_the_other_way(term, expected):
    assert variants(term) == expected


def test_a_long_term_of_many_numbers_gives_a_few_variants_at_once():
    # 2 has two writings (二, 两): forty of them must not make 2**40 variants
    term = "2件" * 40
    assert variants(term) == ["二件" * 40, "二件" * 39 + "两件", "二件" * 38 + "两件二件"]

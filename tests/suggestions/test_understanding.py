"""Reading a buyer's message: entities of every format, cleaning, masking, escalation."""

from __future__ import annotations

from datetime import date

import pytest

from kefu.suggestions.understanding import (
    clean,
    escalation_reasons,
    extract_entities,
    mask,
    understand,
)

TODAY = date(2026, 11, 9)


@pytest.mark.parametrize(("message", "value", "platform"), [
    ("订单号 1234567890123456789 什么时候发货", "1234567890123456789", "taobao"),  # 19 digits
    ("天猫订单123456789012345678还没到", "123456789012345678", "taobao"),  # 18 digits
    ("京东订单 12345678901 怎么还没到", "12345678901", "jd"),  # 11 digits, order context
    ("我的单号是 234567890123 帮我看下", "234567890123", "jd"),  # 12 digits
    ("拼多多 240101-123456789012345 退款", "240101-123456789012345", "pinduoduo"),
    ("抖音下的单 4912345678901234567 能改地址吗", "4912345678901234567", "douyin"),
])
def test_order_numbers_of_each_platform_are_recognized(message: str, value: str,
                                                       platform: str) -> None:
    found = extract_entities(message, TODAY)
    assert found.order_numbers == [{"value": value, "platform": platform}]
    assert found.tracking_numbers == []
    assert found.phones == []


@pytest.mark.parametrize(("message", "value", "carrier"), [
    ("顺丰 SF1234567890123 三天了还没到", "SF1234567890123", "SF"),
    ("圆通YT1234567890123到哪了", "YT1234567890123", "YTO"),
    ("中通快递单号 75312345678901", "75312345678901", "ZTO"),
    ("申通 773012345678901 怎么不动了", "773012345678901", "STO"),
    ("韵达 3101234567890 显示签收了", "3101234567890", "YD"),
    ("极兔 JT1234567890123 能催一下吗", "JT1234567890123", "JT"),
    ("EMS EA123456789CN 到哪了", "EA123456789CN", "EMS"),
    ("快递单号 9812345678901", "9812345678901", "EMS"),
])
def test_tracking_numbers_of_each_carrier_are_recognized(message: str, value: str,
                                                         carrier: str) -> None:
    found = extract_entities(message, TODAY)
    assert found.tracking_numbers == [{"value": value, "carrier": carrier}]
    assert found.order_numbers == []


@pytest.mark.parametrize(("message", "phone"), [
    ("电话13812345678改一下", "13812345678"),
    ("新号码 139-1234-5678", "13912345678"),
    ("联系 +86 150 1234 5678", "15012345678"),
])
def test_phone_numbers_are_recognized_and_not_taken_for_orders(message: str,
                                                               phone: str) -> None:
    found = extract_entities(message, TODAY)
    assert found.phones == [phone]
    assert found.order_numbers == []


def test_an_eleven_digit_number_after_the_word_order_is_an_order_not_a_phone() -> None:
    found = extract_entities("订单号13812345678", TODAY)
    assert found.order_numbers == [{"value": "13812345678", "platform": "jd"}]
    assert found.phones == []


@pytest.mark.parametrize(("message", "amounts"), [
    ("退了¥59.9还差 20元", [59.9, 20.0]),
    ("￥100 的券怎么用", [100.0]),
    ("才便宜5块钱", [5.0]),
])
def test_amounts_in_yuan_are_recognized(message: str, amounts: list[float]) -> None:
    assert extract_entities(message, TODAY).amounts == amounts


@pytest.mark.parametrize(("message", "dates"), [
    ("明天能到吗", [{"text": "明天", "date": "2026-11-10"}]),
    ("后天要用", [{"text": "后天", "date": "2026-11-11"}]),
    ("大后天在家", [{"text": "大后天", "date": "2026-11-12"}]),
    ("11月11日之前能到吗", [{"text": "11月11日", "date": "2026-11-11"}]),
    ("12月1号发货", [{"text": "12月1号", "date": "2026-12-01"}]),
])
def test_dates_are_resolved_against_today(message: str, dates: list[dict[str, str]]) -> None:
    assert extract_entities(message, TODAY).dates == dates


@pytest.mark.parametrize(("message", "text", "days"), [
    ("都3天了还没发货", "3天", 3.0),
    ("等了两个星期", "两个星期", 14.0),
    ("十天了", "十天", 10.0),
    ("48小时内发货吗", "48小时", 2.0),
])
def test_durations_are_recognized_in_days(message: str, text: str, days: float) -> None:
    assert extract_entities(message, TODAY).durations == [{"text": text, "days": days}]


def test_a_date_is_not_also_read_as_a_duration() -> None:
    found = extract_entities("11月11日到", TODAY)
    assert found.durations == []


def test_cleaning_drops_greetings_emoji_emoticon_codes_and_folds_colloquial_spelling() -> None:
    assert clean("亲，在吗？😊 /:^_^ [微笑] 咋还木有发货啊") == "怎么还没有发货啊"
    assert clean("您好 请问 啥时候发货") == "什么时候发货"
    assert clean("ＡＢＣ 發貨") == "abc 发货"  # full width, traditional


def test_cleaning_drops_a_pasted_order_card() -> None:
    text = "商品名称：纯棉T恤 白色 XL\n实付款：¥59.00\n怎么还不发货"
    assert clean(text) == "怎么还不发货"


def test_masking_hides_phones_and_addresses_and_keeps_the_question() -> None:
    masked = mask("我电话13812345678，地址浙江省杭州市西湖区文三路100号3单元，怎么还没到")
    assert "13812345678" not in masked
    assert "文三路" not in masked
    assert masked == "我电话[电话]，地址[地址]，怎么还没到"


@pytest.mark.parametrize(("message", "reasons"), [
    ("再不处理我就投诉你们", ["投诉"]),
    ("打12315告你们", ["12315"]),
    ("给你差评", ["差评"]),
    ("你们就是骗子", ["骗子"]),
    ("假货！必须退一赔三", ["退一赔三", "假货"]),
    ("我要申请小二介入", ["小二介入"]),
])
def test_complaint_words_flag_escalation(message: str, reasons: list[str]) -> None:
    assert sorted(escalation_reasons(message)) == sorted(reasons)
    assert understand(message).escalate is True


@pytest.mark.parametrize("message", [
    "放心，我不会给差评的", "没有投诉的意思，就问问", "订单号 1231512345678 到哪了",
    "什么时候发货",
])
def test_calm_messages_do_not_escalate(message: str) -> None:
    assert understand(message).escalate is False

"""Text helpers shared by the library, search and suggestions."""

from __future__ import annotations

import re

# Mainland mobile numbers (optionally +86 / spaced / dashed) and landlines with area code.
_PHONE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"
                       r"|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")
# An address is recognisable by its administrative units followed by a street number. It
# starts at a province-level name (or a two-character city: 杭州市) so the words before it
# stay, and ends at the last house/building/room number so the question after it stays.
_PROVINCES = ("北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|"
              "河南|湖北|湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|"
              "宁夏|新疆|香港|澳门")
_ADDRESS_RE = re.compile(
    rf"(?:(?:{_PROVINCES})(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)?"
    r"|[\u4e00-\u9fff]{2}市)"
    r"[\u4e00-\u9fff\w]{0,20}?(?:市|区|县|镇|街道)"
    r"[\u4e00-\u9fff\w\-#]{0,40}?(?:路|街|道|巷|弄|村|号|栋|幢|单元|室)"
    r"(?:[\u4e00-\u9fff\w\-#]{0,30}?(?:号|栋|幢|座|单元|室|楼|层))*")


def mask_personal_data(text: str) -> str:
    """Mask phone numbers and street addresses before a buyer message is stored."""
    if not text:
        return ""
    text = _PHONE_RE.sub("[电话]", text)
    return _ADDRESS_RE.sub("[地址]", text)

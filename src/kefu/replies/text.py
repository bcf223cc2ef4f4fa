"""Text helpers shared by the library, search and suggestions."""

from __future__ import annotations

import re

# Mainland mobile numbers (optionally +86 / spaced / dashed) and landlines with area code.
_PHONE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"
                       r"|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")
# An address is recognisable by its administrative units followed by a street number.
_ADDRESS_RE = re.compile(
    r"[\u4e00-\u9fff]{2,}(?:省|自治区|市)[\u4e00-\u9fff\w]{0,20}?(?:市|区|县|镇|街道)"
    r"[\u4e00-\u9fff\w\-#]{0,40}?(?:路|街|道|巷|弄|村|号|栋|幢|单元|室)[\w\-#]*")


def mask_personal_data(text: str) -> str:
    """Mask phone numbers and street addresses before a buyer message is stored."""
    if not text:
        return ""
    text = _PHONE_RE.sub("[电话]", text)
    return _ADDRESS_RE.sub("[地址]", text)

"""Variables in reply text: ``{买家昵称}``, ``{订单号}``, ``{活动.满减}`` ...

Three kinds, filled in this order of precedence:
1. values given for this conversation (the agent typed the buyer's nickname, a suggestion
   extracted the order number);
2. organization variables a supervisor defined once (``{活动.满减}``);
3. built-ins the server knows: ``{客服昵称}`` (the member), ``{店铺名}`` (the organization),
   ``{今天}`` (today's date).
Anything still unfilled is left in the text as ``{name}`` *and reported*, so the panel can
ask for it instead of pasting a raw placeholder to a buyer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from kefu.core.models import Member

VARIABLE_RE = re.compile(r"\{([^{}\s]{1,40})\}")
NAME_RE = re.compile(r"^[\w\u3400-\u9fff][\w\u3400-\u9fff.\-]{0,39}$")

# Filled per conversation by the agent (or by suggestions from the buyer's message).
CONVERSATION_VARIABLES = ("买家昵称", "订单号", "快递单号", "发货时间")
# Filled by the server.
SERVER_VARIABLES = ("客服昵称", "店铺名", "今天")
BUILTIN_VARIABLES = CONVERSATION_VARIABLES + SERVER_VARIABLES


def variables_in(text: str) -> list[str]:
    """Variable names in order of first appearance, without duplicates."""
    return list(dict.fromkeys(VARIABLE_RE.findall(text)))


def chinese_date(d: date) -> str:
    return f"{d.month}月{d.day}日"


@dataclass
class Rendered:
    text: str
    used: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # known kind, but no value now
    unknown: list[str] = field(default_factory=list)  # defined nowhere: probably a typo

    def to_api_dict(self) -> dict[str, object]:
        return {"text": self.text, "used": self.used, "missing": self.missing,
                "unknown": self.unknown}


def server_values(member: Member | None) -> dict[str, str]:
    out = {"今天": chinese_date(timezone.localdate())}
    if member is not None:
        out["客服昵称"] = member.name
        out["店铺名"] = member.organization.name
    return out


def render(text: str, values: dict[str, str] | None = None,
           org_variables: dict[str, str] | None = None,
           member: Member | None = None) -> Rendered:
    given = {k: v for k, v in (values or {}).items() if v not in (None, "")}
    org_vars = org_variables or {}
    org_filled = {k: v for k, v in org_vars.items() if v}
    server = server_values(member)
    result = Rendered(text="")

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in result.used:
            result.used.append(name)
        for source in (given, org_filled, server):
            if name in source:
                return str(source[name])
        if name in BUILTIN_VARIABLES or name in org_vars:
            if name not in result.missing:
                result.missing.append(name)
        elif name not in result.unknown:
            result.unknown.append(name)
        return match.group(0)

    result.text = VARIABLE_RE.sub(fill, text)
    return result

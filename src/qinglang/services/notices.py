"""Notices to accounts and complainants, rendered from templates in Chinese and English.

Templates live in services/notice_templates/<name>.<lang>.j2; the first line is
the subject, the rest the body. Times are shown in Beijing time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from qinglang.domain.vocab import CATEGORY_LABELS_ZH, Category

SHANGHAI = ZoneInfo("Asia/Shanghai")

CATEGORY_LABELS_EN = {
    Category.FAKE_FANS: "fake followers",
    Category.REINCARNATION: "re-registering a closed account (reincarnation)",
    Category.HEROES_MARTYRS: "insulting heroes and martyrs",
    Category.RUMOR: "spreading rumours",
    Category.SOFT_PORN: "soft pornography",
    Category.VULGAR_MARKETING: "malicious or vulgar marketing and traffic fraud",
    Category.ILLEGAL_CONDUCT: "illegal or unethical conduct",
    Category.ABUSE: "abuse and harassment",
    Category.OTHER: "other violations",
}

#: The rule each category breaks, as the notice names it.
RULES = {
    Category.FAKE_FANS: ("平台社区规则：禁止购买、刷量虚假粉丝及流量造假", "community rules: no bought or fake followers, no traffic fraud"),
    Category.REINCARNATION: ("平台账号管理规则：被关闭账号不得通过重新注册等方式“转世”", "account rules: a closed account may not return under a new registration"),
    Category.HEROES_MARTYRS: ("《英雄烈士保护法》及平台社区规则：禁止歪曲、丑化、亵渎、否定英雄烈士", "the Heroes and Martyrs Protection Law and community rules: no insulting or defaming heroes and martyrs"),
    Category.RUMOR: ("平台社区规则：禁止编造、传播谣言", "community rules: no fabricating or spreading rumours"),
    Category.SOFT_PORN: ("平台社区规则：禁止发布色情低俗及软色情内容", "community rules: no pornographic or sexually suggestive content"),
    Category.VULGAR_MARKETING: ("平台社区规则：禁止恶意营销、低俗炒作及流量造假", "community rules: no malicious or vulgar marketing or traffic fraud"),
    Category.ILLEGAL_CONDUCT: ("平台社区规则及相关法律法规：公众账号主体不得存在违法失德行为", "community rules and applicable law: no illegal or unethical conduct by public accounts"),
    Category.ABUSE: ("平台社区规则：禁止辱骂、攻击、骚扰他人", "community rules: no insults, attacks or harassment"),
    Category.OTHER: ("平台社区规则", "community rules"),
}

ACTION_LABELS_ZH = {"warning": "警告", "limit": "功能限制", "suspend": "暂停更新", "close": "关闭账号"}
ACTION_LABELS_EN = {"warning": "warning", "limit": "feature limit", "suspend": "suspension", "close": "closure"}

PLATFORM_SIGNATURE = ("平台治理团队", "The platform's trust and safety team")


@dataclass(frozen=True)
class Notice:
    kind: str
    subject_zh: str
    body_zh: str
    subject_en: str
    body_en: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "zh": {"subject": self.subject_zh, "body": self.body_zh},
                "en": {"subject": self.subject_en, "body": self.body_en}}


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("qinglang.services", "notice_templates"),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )


def beijing(t: datetime | None) -> str | None:
    return t.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if t else None


def category_labels(category: str) -> dict[str, str]:
    c = Category(category)
    return {"category_label": CATEGORY_LABELS_ZH[c], "category_label_en": CATEGORY_LABELS_EN[c],
            "rule_zh": RULES[c][0], "rule_en": RULES[c][1]}


def render(template: str, **ctx: Any) -> Notice:
    ctx.setdefault("platform_zh", PLATFORM_SIGNATURE[0])
    ctx.setdefault("platform_en", PLATFORM_SIGNATURE[1])
    ctx.setdefault("name", ctx.get("account_id", ""))
    parts = {}
    for lang in ("zh", "en"):
        text = _env().get_template(f"{template}.{lang}.j2").render(**ctx).strip()
        subject, _, body = text.partition("\n")
        parts[lang] = (subject.strip(), body.strip())
    return Notice(template, parts["zh"][0], parts["zh"][1], parts["en"][0], parts["en"][1])

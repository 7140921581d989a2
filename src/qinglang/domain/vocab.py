"""The closed vocabularies of the data contract: categories, tiers, enums."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    FAKE_FANS = "fake_fans"
    REINCARNATION = "reincarnation"
    HEROES_MARTYRS = "heroes_martyrs"
    RUMOR = "rumor"
    SOFT_PORN = "soft_porn"
    VULGAR_MARKETING = "vulgar_marketing"
    ILLEGAL_CONDUCT = "illegal_conduct"
    ABUSE = "abuse"
    OTHER = "other"


class Tier(StrEnum):
    HEAD = "head"
    LARGE = "large"
    REGULAR = "regular"


class AccountStatus(StrEnum):
    ACTIVE = "active"
    RESTRICTED = "restricted"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class EnforcementAction(StrEnum):
    WARNING = "warning"
    RESTRICT = "restrict"
    SUSPEND = "suspend"
    CLOSE = "close"


class InteractionKind(StrEnum):
    LIKE = "like"
    REPOST = "repost"
    COMMENT = "comment"


class IdentityKind(StrEnum):
    PHONE = "phone"
    DEVICE = "device"
    IP = "ip"
    PAYMENT = "payment"
    ID_DOCUMENT = "id_document"
    EMAIL = "email"


CATEGORY_LABELS_ZH = {
    Category.FAKE_FANS: "虚假粉丝",
    Category.REINCARNATION: "转世账号",
    Category.HEROES_MARTYRS: "侮辱英烈",
    Category.RUMOR: "造谣传谣",
    Category.SOFT_PORN: "软色情",
    Category.VULGAR_MARKETING: "恶意低俗营销",
    Category.ILLEGAL_CONDUCT: "违法失德",
    Category.ABUSE: "辱骂攻击",
    Category.OTHER: "其他",
}

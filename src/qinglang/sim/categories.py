"""Category codes shared by the simulator modules (names follow the data contract)."""

from __future__ import annotations

HEROES, RUMOR, SOFT_PORN, MARKETING, ABUSE, ILLEGAL, OTHER = range(7)
CATEGORY_NAMES = (
    "heroes_martyrs",
    "rumor",
    "soft_porn",
    "vulgar_marketing",
    "abuse",
    "illegal_conduct",
    "other",
)
#: Categories a post can violate.
CONTENT_CATEGORIES = (HEROES, RUMOR, SOFT_PORN, MARKETING, ABUSE, ILLEGAL)
#: Mix of violating posts by category.
CONTENT_MIX = (0.14, 0.24, 0.16, 0.24, 0.16, 0.06)

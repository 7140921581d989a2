"""Account linking as one configuration of the generic Fellegi–Sunter engine.

Comparisons of a (new account, banned account) pair; record columns come from
`features.profile_columns`, pair features (identity, followers, time) from
`linking.AccountPairs`. The `[reincarnation]` section of qinglang.toml may override the
options below (`DEFAULTS`) and replace the comparisons wholesale (`comparisons = [...]`).
"""

from __future__ import annotations

import copy
from typing import Any

from qinglang.errors import QinglangError

DAY = 86_400

NICKNAME = {
    "name": "nickname",
    "description": "nickname after undoing evasion tricks (traditional, look-alike characters, homophones, pinyin, "
                   "initials, inserted symbols/digits/emoji, full width, decorative affixes)",
    "columns": ["n_clean"],
    "levels": [
        # An account named after the banned one plus a fan-club marker (王小明后援会) is about the star, not
        # the star: policy fixes this level's weight at log2(0.001 / 0.5), about -9 bits.
        {"kind": "custom", "function": "fan_derivative", "label": "fan-club name of it (粉丝团/后援会...)",
         "m": 0.001, "fix_m": True, "u": 0.5},
        {"kind": "exact", "column": "n_clean", "tf": True, "tf_exclude": 1, "label": "same name"},
        # 夏至442 / 【夏至442】官方: decorations aside the same, digits included (a name's own digits tell it
        # from the many 夏至), weighed by how common that exact name is
        {"kind": "exact", "column": "n_kept", "tf": True, "tf_exclude": 1,
         "label": "same name apart from decorative affixes"},
        {"kind": "exact", "column": "n_core", "tf": True, "tf_exclude": 1,
         "label": "same name after undoing tricks"},
        {"kind": "exact_any", "columns": ["n_pinyin", "n_pinyin_hanzi"], "tf": "n_pinyin", "tf_exclude": 1,
         "label": "same pronunciation (homophones, pinyin)"},
        {"kind": "custom", "function": "shape_twin", "column": "n_core", "label": "look-alike characters"},
        {"kind": "exact", "column": "n_fuzzy", "tf": True, "tf_exclude": 1, "label": "near-homophone"},
        {"kind": "custom", "function": "initials_of", "label": "initials of the name"},
        {"kind": "custom", "function": "contains", "column": "n_core", "min_len": 2,
         "label": "one name inside the other (小冰冰 / 冰冰)"},
        {"kind": "custom", "function": "contains", "column": "n_pinyin", "min_len": 6,
         "label": "one pronunciation inside the other"},
        {"kind": "jaro_winkler", "column": "n_pinyin", "min": 0.92, "label": "pronunciation jaro-winkler >= 0.92"},
        {"kind": "jaro_winkler", "column": "n_pinyin", "min": 0.80, "label": "pronunciation jaro-winkler >= 0.80"},
        {"kind": "else", "label": "different"},
    ],
}

AVATAR = {
    "name": "avatar",
    "description": "avatar perceptual hash (Hamming distance; stock and default avatars weigh little)",
    "columns": ["avatar"],
    "levels": [
        {"kind": "exact", "column": "avatar", "tf": True, "tf_exclude": 1, "label": "same avatar"},
        {"kind": "hamming", "column": "avatar", "max": 6, "label": "near-duplicate avatar (<= 6 bits)"},
        {"kind": "hamming", "column": "avatar", "max": 12, "label": "similar avatar (<= 12 bits)"},
        {"kind": "else", "label": "different"},
    ],
}

IDENTITY = {
    "name": "identity",
    "description": "hashed phone / device / payment / id document / email / IP shared; correlated kinds are one "
                   "comparison so they count once, and a value shared by many accounts (a campus NAT IP) weighs little",
    "pair_columns": ["id_level"],
    "levels": [
        {"kind": "pair", "column": "id_level", "eq": 6, "label": "two or more person/handset identities",
         "tf_pair": "id_tf", "tf_min": 1e-8},
        {"kind": "pair", "column": "id_level", "eq": 5, "label": "id document or payment account", "tf_pair": "id_tf",
         "tf_min": 1e-8},
        {"kind": "pair", "column": "id_level", "eq": 4, "label": "phone", "tf_pair": "id_tf", "tf_min": 1e-8},
        {"kind": "pair", "column": "id_level", "eq": 3, "label": "device", "tf_pair": "id_tf", "tf_min": 1e-8},
        {"kind": "pair", "column": "id_level", "eq": 2, "label": "email", "tf_pair": "id_tf", "tf_min": 1e-8},
        {"kind": "pair", "column": "id_level", "eq": 1, "label": "IP address only", "tf_pair": "id_tf", "tf_min": 1e-6},
        {"kind": "else", "label": "nothing shared"},
    ],
}

FANS = {
    "name": "followers",
    "description": "share of the banned account's followers now following the new account, and share of the new "
                   "account's followers that came from it (hub followers ignored)",
    "pair_columns": ["fan_share"],
    "levels": [
        {"kind": "custom", "function": "fans_at_least", "share": 0.3, "count": 3, "purity": 0.2,
         "label": ">= 30% of its fans, >= 20% of the new account's"},
        {"kind": "custom", "function": "fans_at_least", "share": 0.1, "count": 2, "purity": 0.1,
         "label": ">= 10% of its fans, >= 10% of the new account's"},
        {"kind": "custom", "function": "fans_at_least", "share": 0.0, "count": 2, "label": "2+ of its fans"},
        {"kind": "custom", "function": "fans_at_least", "share": 0.0, "count": 1, "label": "one of its fans"},
        {"kind": "else", "label": "none of its fans"},
    ],
}

BIO = {
    "name": "bio",
    "description": "profile text",
    "columns": ["bio_norm"],
    "levels": [
        {"kind": "exact", "column": "bio_norm", "tf": True, "tf_exclude": 1, "label": "same bio"},
        {"kind": "indel_ratio", "column": "bio_norm", "min": 0.8, "label": "bio similarity >= 0.8"},
        {"kind": "indel_ratio", "column": "bio_norm", "min": 0.5, "label": "bio similarity >= 0.5"},
        {"kind": "else", "label": "different"},
    ],
}

TIMING = {
    "name": "timing",
    "description": "registration of the new account relative to the ban",
    "pair_columns": ["days_after_ban"],
    "levels": [
        {"kind": "pair", "column": "days_after_ban", "max": -1e-6, "label": "registered before the ban"},
        {"kind": "pair", "column": "days_after_ban", "max": 30, "label": "within 30 days of the ban"},
        {"kind": "pair", "column": "days_after_ban", "max": 180, "label": "within 180 days"},
        {"kind": "pair", "column": "days_after_ban", "max": 730, "label": "within two years"},
        {"kind": "else", "label": "later"},
    ],
}

DECLARED = {
    "name": "declared",
    "description": "the new account says it is a comeback in its bio or posts (新号, 原号, 换号, 又回来了, 老粉...)",
    "pair_columns": ["declared"],
    "levels": [
        {"kind": "pair", "column": "declared", "eq": 1, "label": "says it is a comeback"},
        {"kind": "else", "label": "says nothing"},
    ],
}

# Term frequencies count the accounts holding a value besides the banned account itself (`tf_exclude`):
# the chance that an unrelated new account shares a value is that of the *other* holders.

COMPARISONS = [NICKNAME, AVATAR, IDENTITY, FANS, BIO, TIMING, DECLARED]

#: Phrases by which an account presents itself as the continuation of a lost one.
DECLARED_PATTERN = (r"新号|原号|旧号|换号|换了个号|备用号|小号|又回来了|我回来了|回来了|老粉|重新关注|号被封|被封了|号没了|炸号"
                    r"|封号|回归|复活|转世|诈尸|new account|backup account|i'?m back")

#: Options of account linking (the `[reincarnation]` section overrides them).
DEFAULTS: dict[str, Any] = {
    "threshold": 0.5,  # match probability from which a pair is a reincarnation finding
    "certain": 0.99,  # ... and from which it is proposed for closure with priority
    "min_report": 0.05,  # findings below are not written
    "created_before_ban_days": 0,  # accept new accounts registered up to N days before the ban (backup accounts)
    "max_pairs_per_key": 2_000,  # blocking: a name key linking more pairs is skipped (a common name finds no one)
    "max_accounts_per_identity": 200,  # blocking on identity values held by at most this many accounts
    "max_accounts_per_avatar": 50,  # blocking on avatar hashes held by at most this many accounts (not stock)
    "avatar_block_bits": 12,  # avatar blocking: keep pairs within this Hamming distance
    "hub_following": 500,  # followers who follow more accounts than this are ignored
    "min_common_fans": 2,  # follower blocking: pairs with at least this many common followers, and
    "min_fan_share": 0.05,  # ... at least this share of the banned account's followers
    "min_fan_purity": 0.2,  # ... or this share of the new account's own followers
    "u_pairs": 300_000,  # random pairs for the u estimate
    "em_sessions": "per_rule",
    "one_per_new_account": True,  # keep only the best banned account per new account
    "declared_pattern": DECLARED_PATTERN,  # regular expression over bios and posts
}


def settings_dict(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The linkage settings (engine configuration) for account linking."""
    opts = options(overrides)
    comps = copy.deepcopy((overrides or {}).get("comparisons") or COMPARISONS)
    return {
        "link_type": "link",
        "blocking": [],  # candidates come from linking.candidate_pairs (keys, avatars, identities, followers)
        "comparisons": comps,
        # a level never seen among the matches of a run keeps m >= 0.5%: one simulator or one month of data
        # should not teach the model that something is impossible
        "em": {"sessions": opts["em_sessions"], "max_iterations": 60, "m_floor": 0.005},
        "u_pairs": int(opts["u_pairs"]),
        "threshold": float(opts["threshold"]),
    }


def options(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    out = dict(DEFAULTS)
    for k, v in (overrides or {}).items():
        if k in ("comparisons",):
            continue
        if k not in DEFAULTS:
            raise QinglangError(f"qinglang.toml: [reincarnation] has an unknown key {k!r}; known: {sorted(DEFAULTS)}")
        out[k] = type(DEFAULTS[k])(v) if not isinstance(DEFAULTS[k], bool) else bool(v)
    if not 0 < out["threshold"] < 1 or not out["threshold"] <= out["certain"] < 1:
        raise QinglangError("qinglang.toml: [reincarnation] needs 0 < threshold <= certain < 1")
    return out

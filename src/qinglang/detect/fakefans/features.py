"""Per-account features of the fake-account models (profile, activity, graph, behaviour).

All vectorised over the accounts table; no per-row Python. The same matrix feeds the
unsupervised default scorer and the trainable LightGBM model.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DAY = 86_400

#: Feature names in matrix column order (the trained model stores this list and refuses a mismatch).
FEATURES = [
    "group_score",  # score of the lockstep group the account belongs to (0 if none)
    "sync_targets",  # distinct targets (and registration batch) of farm events the account appears in
    "reg_batch",  # registered inside an anomalous registration batch
    "burst_follows",  # follows made inside follower bursts
    "avatar_missing_or_default",  # no avatar, or one of the platform's default images
    "avatar_shared",  # an avatar image shared with other accounts (stock photo)
    "bio_empty",
    "bio_shared",  # the exact bio text of many other accounts (template)
    "name_generated",  # default-style name (用户123456, user_123456) or random handle
    "name_digit_run",  # longest run of digits in the nickname
    "log_posts",
    "log_engagement",  # engagement the account's posts received
    "log_followers",
    "log_following",
    "following_ratio",  # log((following + 1) / (followers + 1))
    "head_followee_share",  # share of followees that are head accounts
    "young_follow_share",  # share of follows made within 30 days of registration (time basis)
    "account_age_years",
    "days_inactive",  # days since last activity (-1 unknown)
    "verified",
]


def _value_counts_share(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Per row: how many rows share its (non-null) value; and whether it is null."""
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    null = np.asarray(pc.is_null(arr).to_numpy(zero_copy_only=False), bool)
    enc = pc.dictionary_encode(arr).combine_chunks() if isinstance(arr, pa.ChunkedArray) else pc.dictionary_encode(arr)
    codes = np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), np.int64)
    counts = np.bincount(codes[codes >= 0], minlength=len(enc.dictionary)) if len(enc.dictionary) else np.zeros(0, np.int64)
    per = np.where(codes >= 0, counts[np.maximum(codes, 0)] if counts.size else 0, 0)
    return per, null


def profile_features(acc) -> dict[str, np.ndarray]:
    n = acc.n
    av_count, av_null = _value_counts_share(acc.avatar)
    default_min = max(20, int(0.005 * n))
    avatar_default = av_null | (av_count >= default_min)
    avatar_shared = ~avatar_default & (av_count >= 3)
    bio = pc.utf8_trim_whitespace(acc.bio.cast(pa.string()))
    bio_len = np.asarray(pc.fill_null(pc.utf8_length(bio), 0).to_numpy(zero_copy_only=False), np.int64)
    bio_empty = bio_len == 0
    bio_count, _ = _value_counts_share(pc.if_else(pc.greater(pc.utf8_length(bio), 0), bio, pa.scalar(None, pa.string())))
    bio_shared = ~bio_empty & (bio_count >= max(5, int(0.0005 * n)))
    nick = pc.fill_null(acc.nickname.cast(pa.string()), "")
    default_name = pc.match_substring_regex(nick, r"^(用户|user|User|USER)[_-]?[0-9]{5,}$")
    random_handle = pc.and_(pc.match_substring_regex(nick, r"^[a-z0-9_]{6,16}$"),
                            pc.match_substring_regex(nick, r"[0-9].*[a-z]|[a-z].*[0-9][a-z0-9]*[0-9]"))
    random_handle = pc.and_(random_handle, pc.invert(pc.match_substring_regex(nick, r"^[a-z]+[0-9]{2,4}$")))
    gen = np.asarray(pc.or_(default_name, random_handle).to_numpy(zero_copy_only=False), bool)
    runs = pc.extract_regex(nick, r"(?P<d>[0-9]+)")  # first run; longest run approximated below
    digits_all = pc.replace_substring_regex(nick, r"[^0-9]+", " ")
    split = pc.split_pattern(pc.utf8_trim_whitespace(digits_all), " ")
    lens = pc.list_value_length(split)
    flat = pc.utf8_length(pc.list_flatten(split))
    parent = np.asarray(pc.list_parent_indices(split).to_numpy(zero_copy_only=False), np.int64)
    run = np.zeros(n, np.float64)
    if len(flat):
        np.maximum.at(run, parent, np.asarray(flat.to_numpy(zero_copy_only=False), np.float64))
    del runs, lens
    return {
        "avatar_missing_or_default": avatar_default.astype(np.float64),
        "avatar_shared": avatar_shared.astype(np.float64),
        "bio_empty": bio_empty.astype(np.float64),
        "bio_shared": bio_shared.astype(np.float64),
        "name_generated": gen.astype(np.float64),
        "name_digit_run": run,
    }


def activity_features(acc) -> dict[str, np.ndarray]:
    snap = acc.snapshot
    inactive = np.where(acc.last_active >= 0, (snap - acc.last_active) / DAY, -1.0)
    return {
        "log_posts": np.log1p(acc.posts.astype(np.float64)),
        "log_engagement": np.log1p(acc.engagement.astype(np.float64)),
        "log_followers": np.log1p(acc.followers.astype(np.float64)),
        "log_following": np.log1p(acc.following.astype(np.float64)),
        "following_ratio": np.log((acc.following + 1.0) / (acc.followers + 1.0)),
        "account_age_years": np.maximum(snap - acc.created, 0) / (365.0 * DAY),
        "days_inactive": inactive,
        "verified": acc.verified.astype(np.float64),
    }


def follow_counts(acc, fol) -> dict[str, np.ndarray]:
    """Per account: follows made, follows of head accounts, follows made within 30 days of registering (time
    basis; else 0), from follow arrays. FollowData.follow_counts computes the same on the engine."""
    n = acc.n
    out_deg = np.bincount(fol.src, minlength=n).astype(np.float64)
    to_head = np.bincount(fol.src, weights=acc.is_head[fol.dst].astype(np.float64), minlength=n)
    if fol.has_time:
        young = ((fol.t - acc.created[fol.src]) < 30 * DAY) & (fol.t >= 0)
        y = np.bincount(fol.src, weights=young.astype(np.float64), minlength=n)
    else:
        y = np.zeros(n)
    return {"out_deg": out_deg, "to_head": to_head, "young": y}


def follow_features(acc, fol=None, counts: dict | None = None) -> dict[str, np.ndarray]:
    n = acc.n
    c = counts if counts is not None else follow_counts(acc, fol)
    out_deg = np.asarray(c["out_deg"], np.float64)
    share = np.divide(np.asarray(c["to_head"], np.float64), out_deg, out=np.zeros(n), where=out_deg > 0)
    young_share = np.divide(np.asarray(c["young"], np.float64), out_deg, out=np.zeros(n), where=out_deg > 0)
    return {"head_followee_share": share, "young_follow_share": young_share}


def account_features(acc, fol=None, counts: dict | None = None) -> dict[str, np.ndarray]:
    """Every feature that needs no lockstep search (profile, activity, follow graph); the lockstep ones are 0.

    The follow-graph features come from `counts` (FollowData.follow_counts) or, given arrays, from `fol`."""
    feats = {name: np.zeros(acc.n) for name in ("group_score", "sync_targets", "reg_batch", "burst_follows")}
    feats.update(profile_features(acc))
    feats.update(activity_features(acc))
    feats.update(follow_features(acc, fol, counts))
    return feats


def matrix(feats: dict[str, np.ndarray], rows: np.ndarray | None = None) -> np.ndarray:
    cols = [feats[name] if rows is None else feats[name][rows] for name in FEATURES]
    return np.column_stack(cols).astype(np.float64)

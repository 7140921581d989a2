"""Ground truth files under `<out>/truth/` (CSV with a header; timestamps ISO 8601 UTC;
lists joined with `;`; booleans as 0/1). Extra columns may be added later; the
file names and the columns below are stable.

fake_accounts.csv — one row per account (doubles as a labels file for
`qinglang train fakefans --labels`):
  account_id, is_fake (0/1), role (head | genuine_active | genuine_casual |
  genuine_dormant | fake; `head` = planned celebrity/media/brand/KOL account),
  farm_id (empty unless fake), farm_kind (batch | aged | slow_drip | empty),
  is_head (0/1: top 0.5% by followers in the generated graph), bought_fans (0/1:
  the account bought at least one delivery), closed (0/1), comeback_of (banned
  account this account continues, or empty), decoy_kind (fan_club | common_name |
  shared_campus_ip | empty).

bursts.csv — one row per purchase of followers:
  purchase_id, account_id (buyer), farm_id, farm_kind, kind (spike | slow_drip),
  start, end (first and last delivered follow), followers (delivered follows),
  rank_start, rank_end (range of follow_rank of the delivered follows at the
  buyer, filled when the snapshot carries follow_rank; other followers may sit
  inside the range).

lockstep.csv — farm membership and targets:
  farm_id, account_id, role (member | target), farm_kind.

engagement_fraud.csv — one row per post with bought engagement:
  post_id, account_id (author), bought (bought interactions in `interactions`),
  kinds (like;repost;comment subset), farm_id, start, end (delivery window),
  organic (the post's other interactions).

reincarnations.csv — one row per comeback:
  new_account_id, banned_account_id, banned_nickname, new_nickname, tricks
  (name tricks applied, `;`-joined, empty = same nickname), shares_identity (0/1),
  identity_kinds (kinds of reused values, `;`-joined), avatar_reused (0/1: exact or
  near-duplicate avatar hash), avatar_bits (Hamming distance to the banned avatar,
  empty when not reused), fans_migrated (share of the banned account's followers
  now following the new one), fans_migrated_count, old_fans, difficulty
  (shared_identity | no_shared_identity | heavy_disguise: no shared identity and
  a pinyin/initials trick or two or more tricks), banned_at (close decision),
  ban_until (end of the re-registration ban; empty = permanent), created_at,
  during_ban (0/1).

decoys.csv — innocent look-alikes:
  account_id, resembles (banned account id), decoy_kind, nickname, banned_nickname.

posts.csv — one row per post:
  post_id, account_id, category (a content category or `none`), disguised (0/1),
  tricks (`;`-joined), hard_benign (0/1), hard_topic (category a hard benign post
  is about, or empty), violating_image (0/1: carries a known violating image or a
  near-duplicate), rumor_id (known rumour spread or debunked, or empty),
  undisguised_text (the text before disguise; empty unless disguised).

Extra files: reports.csv (report_id, kind genuine|mistaken|mass_report,
campaign_id, target_violating), violating_images.csv (image_hash, category: the
bank of known violating images), rumors.csv (rumor_id, text: the base of known
rumours), farms.csv (farm_id, farm_kind, members, buyers, created_first,
created_last, first_delivery), organic_spikes.csv (account_id, start, followers:
organic viral days, which are not purchases), manifest.json (configuration,
snapshot time, row counts).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa

from qinglang.sim import disguise as D
from qinglang.sim import population as P
from qinglang.sim.categories import CATEGORY_NAMES
from qinglang.sim.config import SNAPSHOT, SimConfig
from qinglang.sim.farms import FARM_KINDS, PURCHASE_KINDS
from qinglang.sim.reincarnation import AVATAR_NEW, DECOY_KINDS
from qinglang.sim.reports import KINDS as REPORT_KINDS
from qinglang.sim.writer import strings, ts, write_truth_csv


def _farm_ids(farm: np.ndarray) -> pa.Array:
    return strings([f"f{x:04d}" if x >= 0 else None for x in np.asarray(farm).tolist()])


def _i(x) -> pa.Array:
    return pa.array(np.asarray(x).astype(np.int64))


def write_all(ctx) -> dict[str, int]:
    """Write every truth file; `ctx` is the simulation context (core.Run)."""
    cfg: SimConfig = ctx.cfg
    pop, farms, g, cb, dec, posts, inter, rep, prof = (
        ctx.pop, ctx.farms, ctx.graph, ctx.cb, ctx.dec, ctx.posts, ctx.inter, ctx.reports, ctx.prof)
    ids = ctx.ids
    d = Path(cfg.out) / "truth"
    d.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    n = pop.n

    # fake_accounts.csv
    nh = P.n_heads(n)
    order = np.lexsort((np.arange(n), -g.followers_count))
    is_head = np.zeros(n, np.int64)
    is_head[order[:nh]] = 1
    bought = np.zeros(n, np.int64)
    bought[farms.p_buyer] = 1
    fkind = [FARM_KINDS[farms.kind[f]] if f >= 0 else None for f in pop.farm.tolist()]
    comeback_of = [ids[b] if b >= 0 else None for b in pop.comeback_of.tolist()]
    decoy_kind = [DECOY_KINDS[k] if k >= 0 else None for k in pop.decoy_kind.tolist()]
    t = pa.table({
        "account_id": ctx.id_array,
        "is_fake": _i(pop.role == P.FAKE),
        "role": strings([P.ROLE_NAMES[r] for r in pop.role.tolist()]),
        "farm_id": _farm_ids(pop.farm),
        "farm_kind": strings(fkind),
        "is_head": _i(is_head),
        "bought_fans": _i(bought),
        "closed": _i(pop.closed_at > 0),
        "comeback_of": strings(comeback_of),
        "decoy_kind": strings(decoy_kind),
    })
    counts["fake_accounts"] = write_truth_csv(d / "fake_accounts.csv", t)

    # bursts.csv
    np_ = farms.n_purchases
    has_rank = cfg.emit_rank
    delivered = g.delivered
    got = delivered > 0
    t = pa.table({
        "purchase_id": strings([f"b{i:05d}" for i in range(np_)]),
        "account_id": strings([ids[b] for b in farms.p_buyer.tolist()]),
        "farm_id": _farm_ids(farms.p_farm),
        "farm_kind": strings([FARM_KINDS[farms.kind[f]] for f in farms.p_farm.tolist()]),
        "kind": strings([PURCHASE_KINDS[k] for k in farms.p_kind.tolist()]),
        "start": ts(np.where(got, g.p_first, SNAPSHOT), ~got),
        "end": ts(np.where(got, g.p_last, SNAPSHOT), ~got),
        "followers": _i(delivered),
        "rank_start": pa.array(np.where(got, g.p_rank_lo, 0), pa.int64(), mask=~got | (not has_rank)),
        "rank_end": pa.array(np.where(got, g.p_rank_hi, 0), pa.int64(), mask=~got | (not has_rank)),
    })
    t = t.filter(pa.array(got))
    counts["bursts"] = write_truth_csv(d / "bursts.csv", t)

    # lockstep.csv
    fid, acc, role, kind = [], [], [], []
    for f in range(farms.n):
        mem = farms.members[f]
        tg = np.unique(farms.p_buyer[(farms.p_farm == f) & (delivered > 0)])
        for a in mem.tolist():
            fid.append(f), acc.append(ids[a]), role.append("member"), kind.append(FARM_KINDS[farms.kind[f]])
        for a in tg.tolist():
            fid.append(f), acc.append(ids[a]), role.append("target"), kind.append(FARM_KINDS[farms.kind[f]])
    t = pa.table({"farm_id": _farm_ids(np.array(fid, np.int64)), "account_id": strings(acc), "role": strings(role),
                  "farm_kind": strings(kind)})
    counts["lockstep"] = write_truth_csv(d / "lockstep.csv", t)

    # engagement_fraud.csv
    post_ids = ctx.post_ids
    keep = inter.b_count > 0
    bp = inter.b_post[keep]
    t = pa.table({
        "post_id": post_ids.take(pa.array(bp, pa.int64())),
        "account_id": strings([ids[a] for a in posts.author[bp].tolist()]),
        "bought": _i(inter.b_count[keep]),
        "kinds": strings([k for k, m in zip(inter.b_kinds, keep.tolist()) if m]),
        "farm_id": _farm_ids(inter.b_farm[keep]),
        "start": ts(inter.b_start[keep]),
        "end": ts(inter.b_end[keep]),
        "organic": _i(inter.b_organic[keep]),
    })
    counts["engagement_fraud"] = write_truth_csv(d / "engagement_fraud.csv", t)

    # reincarnations.csv
    rows = []
    for j in range(cb.n):
        new, old = int(cb.new[j]), int(cb.banned[j])
        tricks = cb.tricks[j]
        shared = cb.shared[j]
        reused = int(cb.avatar_mode[j]) != AVATAR_NEW
        bits = int(prof.avatar[new] ^ prof.avatar[old]).bit_count() if reused else None
        heavy = bool(set(tricks) & D.HEAVY_TRICKS) or len(tricks) >= 2
        diff = "shared_identity" if shared else ("heavy_disguise" if heavy else "no_shared_identity")
        old_f = int(g.old_fans[j])
        rows.append((ids[new], ids[old], prof.nickname[old], prof.nickname[new], ";".join(tricks), int(bool(shared)),
                     ";".join(shared), int(reused), bits, round(int(g.migrated[j]) / old_f, 4) if old_f else 0.0,
                     int(g.migrated[j]), old_f, diff, int(pop.closed_at[old]), int(ctx.ban_until_of[old]),
                     int(pop.created[new]), int(bool(cb.during_ban[j]))))
    cols = list(zip(*rows)) if rows else [[] for _ in range(17)]
    t = pa.table({
        "new_account_id": strings(cols[0]),
        "banned_account_id": strings(cols[1]),
        "banned_nickname": strings(cols[2]),
        "new_nickname": strings(cols[3]),
        "tricks": strings(cols[4]),
        "shares_identity": pa.array(cols[5], pa.int64()),
        "identity_kinds": strings(cols[6]),
        "avatar_reused": pa.array(cols[7], pa.int64()),
        "avatar_bits": pa.array(cols[8], pa.int64()),
        "fans_migrated": pa.array(cols[9], pa.float64()),
        "fans_migrated_count": pa.array(cols[10], pa.int64()),
        "old_fans": pa.array(cols[11], pa.int64()),
        "difficulty": strings(cols[12]),
        "banned_at": ts(np.array(cols[13], np.int64)),
        "ban_until": ts(np.array(cols[14], np.int64), np.array(cols[14], np.int64) == 0),
        "created_at": ts(np.array(cols[15], np.int64)),
        "during_ban": pa.array(cols[16], pa.int64()),
    })
    counts["reincarnations"] = write_truth_csv(d / "reincarnations.csv", t)

    # decoys.csv
    t = pa.table({
        "account_id": strings([ids[a] for a in dec.account.tolist()]),
        "resembles": strings([ids[r] for r in dec.resembles.tolist()]),
        "decoy_kind": strings([DECOY_KINDS[k] for k in dec.kind.tolist()]),
        "nickname": strings([prof.nickname[a] for a in dec.account.tolist()]),
        "banned_nickname": strings([prof.nickname[r] for r in dec.resembles.tolist()]),
    })
    counts["decoys"] = write_truth_csv(d / "decoys.csv", t)

    # posts.csv
    cat_names = np.array(CATEGORY_NAMES + ("none",), dtype=object)
    t = pa.table({
        "post_id": post_ids,
        "account_id": ctx.id_array.take(pa.array(posts.author)),
        "category": strings(cat_names[np.where(posts.category >= 0, posts.category, len(CATEGORY_NAMES))].tolist()),
        "disguised": _i(posts.disguised),
        "tricks": strings(posts.tricks),
        "hard_benign": _i(posts.hard_benign),
        "hard_topic": strings([CATEGORY_NAMES[c] if c >= 0 else None for c in posts.hard_topic.tolist()]),
        "violating_image": _i(posts.violating_image),
        "rumor_id": pa.array(posts.rumor_id.astype(np.int64), mask=posts.rumor_id < 0),
        "undisguised_text": strings(posts.undisguised),
    })
    counts["posts"] = write_truth_csv(d / "posts.csv", t)

    # Extra files.
    t = pa.table({
        "report_id": ctx.report_ids,
        "kind": strings([REPORT_KINDS[k] for k in rep.kind.tolist()]),
        "campaign_id": pa.array(rep.campaign.astype(np.int64), mask=rep.campaign < 0),
        "target_violating": _i(rep.target_violating),
    })
    counts["reports"] = write_truth_csv(d / "reports.csv", t)
    t = pa.table({"image_hash": strings([h for h, _ in posts.bank]), "category": strings([c for _, c in posts.bank])})
    counts["violating_images"] = write_truth_csv(d / "violating_images.csv", t)
    t = pa.table({"rumor_id": pa.array(range(len(posts.rumors)), pa.int64()), "text": strings(posts.rumors)})
    counts["rumors"] = write_truth_csv(d / "rumors.csv", t)
    fr = []
    for f in range(farms.n):
        mem = farms.members[f]
        fr.append((f, FARM_KINDS[farms.kind[f]], mem.size, int(np.unique(farms.p_buyer[farms.p_farm == f]).size),
                   int(pop.created[mem].min()), int(pop.created[mem].max()), int(farms.t0[f])))
    cols = list(zip(*fr))
    t = pa.table({
        "farm_id": _farm_ids(np.array(cols[0])),
        "farm_kind": strings(cols[1]),
        "members": pa.array(cols[2], pa.int64()),
        "buyers": pa.array(cols[3], pa.int64()),
        "created_first": ts(np.array(cols[4])),
        "created_last": ts(np.array(cols[5])),
        "first_delivery": ts(np.array(cols[6])),
    })
    counts["farms"] = write_truth_csv(d / "farms.csv", t)
    ev = g.events
    t = pa.table({
        "account_id": strings([ids[a] for a in ev.owner.tolist()]),
        "start": ts(ev.at),
        "followers": _i(g.event_followers),
    })
    counts["organic_spikes"] = write_truth_csv(d / "organic_spikes.csv", t)
    return counts


def write_manifest(cfg: SimConfig, tables: dict[str, int], truth: dict[str, int]) -> None:
    from datetime import datetime, timezone

    manifest = {
        "generator": "qinglang.sim",
        "seed": cfg.seed,
        "accounts": cfg.accounts,
        "closed": cfg.n_closed,
        "mega_followers": cfg.n_mega,
        "format": cfg.fmt,
        "follow_order": cfg.follow_order,
        "snapshot_at": datetime.fromtimestamp(SNAPSHOT, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tables": tables,
        "truth": truth,
    }
    (Path(cfg.out) / "truth" / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")

"""Table specifications of the snapshot data contract (docs: data-contract.md).

Each table lists its columns with a logical type, whether it is required,
its key, and which columns reference accounts. The validator and the typed
Parquet writer are driven entirely by these specs.
"""

from __future__ import annotations

from dataclasses import dataclass

from qinglang.domain.vocab import AccountStatus, Category, EnforcementAction, IdentityKind, InteractionKind

# Logical column types.
STRING = "string"
TIMESTAMP = "timestamp"
BOOL = "bool"
COUNT = "count"  # integer >= 0
RANK = "rank"  # integer >= 1
HEX = "hex"  # 16 or 64 hex digits (pHash / PDQ)
HEX_LIST = "hex_list"
ENUM = "enum"


@dataclass(frozen=True)
class Column:
    name: str
    type: str = STRING
    required: bool = False
    enum: tuple[str, ...] = ()
    default: str | None = None  # SQL literal used when the value is absent
    empty_ok: bool = False  # required column whose value may be empty (a post's text)


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    account_refs: tuple[str, ...] = ()  # columns that must name a known account
    merge_repeats: bool = False  # identities: repeated keys merge instead of erroring
    required_table: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _values(enum_cls) -> tuple[str, ...]:
    return tuple(e.value for e in enum_cls)


ACCOUNTS = TableSpec(
    "accounts",
    (
        Column("account_id", required=True),
        Column("nickname", required=True),
        Column("created_at", TIMESTAMP, required=True),
        Column("bio"),
        Column("avatar_hash", HEX),
        Column("verified", BOOL, default="false"),
        Column("status", ENUM, enum=_values(AccountStatus), default="'active'"),
        Column("followers_count", COUNT),
        Column("following_count", COUNT),
        Column("posts_count", COUNT),
        Column("last_active_at", TIMESTAMP),
    ),
    key=("account_id",),
    required_table=True,
)

FOLLOWS = TableSpec(
    "follows",
    (
        Column("follower_id", required=True),
        Column("followee_id", required=True),
        Column("followed_at", TIMESTAMP),
        Column("follow_rank", RANK),
    ),
    key=("follower_id", "followee_id"),
    account_refs=("follower_id", "followee_id"),
)

POSTS = TableSpec(
    "posts",
    (
        Column("post_id", required=True),
        Column("account_id", required=True),
        Column("created_at", TIMESTAMP, required=True),
        Column("text", required=True, empty_ok=True),
        Column("image_hashes", HEX_LIST),
        Column("repost_of"),
        Column("like_count", COUNT),
        Column("repost_count", COUNT),
        Column("comment_count", COUNT),
    ),
    key=("post_id",),
    account_refs=("account_id",),
)

INTERACTIONS = TableSpec(
    "interactions",
    (
        Column("actor_id", required=True),
        Column("post_id", required=True),
        Column("kind", ENUM, required=True, enum=_values(InteractionKind)),
        Column("at", TIMESTAMP, required=True),
    ),
    key=("actor_id", "post_id", "kind", "at"),
    account_refs=("actor_id",),
)

IDENTITIES = TableSpec(
    "identities",
    (
        Column("account_id", required=True),
        Column("kind", ENUM, required=True, enum=_values(IdentityKind)),
        Column("value", required=True),
        Column("first_seen", TIMESTAMP),
        Column("last_seen", TIMESTAMP),
    ),
    key=("account_id", "kind", "value"),
    account_refs=("account_id",),
    merge_repeats=True,
)

ENFORCEMENTS = TableSpec(
    "enforcements",
    (
        Column("account_id", required=True),
        Column("action", ENUM, required=True, enum=_values(EnforcementAction)),
        Column("category", ENUM, required=True, enum=_values(Category)),
        Column("decided_at", TIMESTAMP, required=True),
        Column("until", TIMESTAMP),
    ),
    key=("account_id", "action", "category", "decided_at"),
    account_refs=("account_id",),
)

REPORTS = TableSpec(
    "reports",
    (
        Column("report_id", required=True),
        Column("reporter_id", required=True),
        Column("account_id", required=True),
        Column("post_id"),
        Column("category", ENUM, enum=_values(Category)),
        Column("created_at", TIMESTAMP),
        Column("text"),
    ),
    key=("report_id",),
    account_refs=("reporter_id", "account_id"),
)

#: All snapshot tables, in dependency order (accounts first).
TABLES: dict[str, TableSpec] = {
    t.name: t for t in (ACCOUNTS, FOLLOWS, POSTS, INTERACTIONS, IDENTITIES, ENFORCEMENTS, REPORTS)
}

#: File extensions and the reader they select.
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".parquet": "parquet"}

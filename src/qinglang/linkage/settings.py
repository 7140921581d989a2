"""Configuration of a linkage: comparisons with their levels, blocking rules, training options.

Everything a linkage does is described here, as data (a dict, e.g. from YAML/TOML/JSON):

```yaml
link_type: dedupe            # dedupe (one table) or link (left table against right table)
unique_id: unique_id
derived:                     # extra columns computed once per record (DuckDB SQL expressions)
  email_user: "split_part(email, '@', 1)"
blocking:                    # candidate pairs agree on every expression of at least one rule
  - [first_name, surname]
  - {keys: ["substr(surname, 1, 3)", dob], max_pairs_per_key: 100000}
comparisons:
  - name: first_name
    columns: [first_name]    # null on either side -> the null level (weight 0)
    related: []              # other columns it depends on (sits out EM sessions blocked on them)
    levels:
      - {kind: exact, column: first_name, tf: true}
      - {kind: jaro_winkler, column: first_name, min: 0.92}
      - {kind: jaro_winkler, column: first_name, min: 0.8}
      - {kind: else}
  - name: dob
    columns: [dob]
    levels:
      - {kind: exact, column: dob}
      - {kind: levenshtein, column: dob, max: 1}
      - {kind: date_diff, column: dob, max_days: 365}
      - {kind: else}
em: {sessions: per_rule, max_iterations: 40}
```

Level kinds are listed in `linkage.levels.KINDS`. Blocking keys are SQL expressions
evaluated on each side (DuckDB); comparisons are evaluated in NumPy/rapidfuzz.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qinglang.errors import QinglangError

LINK_TYPES = ("dedupe", "link")


@dataclass
class Level:
    label: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    tf: str | None = None  # record column whose term frequency adjusts this level's u (exact levels)
    tf_pair: str | None = None  # pair-feature column holding the frequency to use as u
    tf_min: float = 1e-9  # floor of a term-frequency u
    tf_weight: float = 1.0  # 0..1: how much of the term-frequency adjustment to apply
    tf_exclude: int = 0  # holders of the value not counted in its frequency (1: the pair's own other record)
    m: float | None = None  # starting (or fixed) m
    u: float | None = None  # fixed u (otherwise estimated from random pairs)
    fix_m: bool = False

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"label": self.label, "kind": self.kind, **self.params}
        for k in ("tf", "tf_pair", "m", "u"):
            if getattr(self, k) is not None:
                d[k] = getattr(self, k)
        if self.tf_min != 1e-9:
            d["tf_min"] = self.tf_min
        if self.tf_weight != 1.0:
            d["tf_weight"] = self.tf_weight
        if self.tf_exclude:
            d["tf_exclude"] = self.tf_exclude
        if self.fix_m:
            d["fix_m"] = True
        return d


@dataclass
class Comparison:
    name: str
    levels: list[Level]  # in priority order; the first level that applies wins
    columns: tuple[str, ...] = ()  # record columns; a null on either side gives the null level
    pair_columns: tuple[str, ...] = ()  # pair features; NaN gives the null level
    description: str = ""
    related: tuple[str, ...] = ()  # columns this comparison depends on (an e-mail made of the name): it sits
    #                                out the EM sessions of blocking rules on them, like its own columns

    @property
    def depends_on(self) -> set[str]:
        return set(self.columns) | set(self.pair_columns) | set(self.related)

    @property
    def n_levels(self) -> int:
        """Number of levels including the null level (index 0)."""
        return len(self.levels) + 1

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "levels": [lv.to_dict() for lv in self.levels]}
        if self.columns:
            d["columns"] = list(self.columns)
        if self.pair_columns:
            d["pair_columns"] = list(self.pair_columns)
        if self.description:
            d["description"] = self.description
        if self.related:
            d["related"] = list(self.related)
        return d


@dataclass
class BlockingRule:
    keys: tuple[str, ...]  # SQL expressions over one record's columns
    name: str = ""
    max_pairs_per_key: int = 1_000_000  # key values generating more pairs are skipped (hot keys)
    columns: tuple[str, ...] = ()  # record columns the keys read (comparisons on them sit out its EM session)

    def __post_init__(self) -> None:
        if not self.name:
            self.name = " & ".join(self.keys)

    def to_dict(self) -> dict[str, Any]:
        return {"keys": list(self.keys), "name": self.name, "max_pairs_per_key": self.max_pairs_per_key,
                "columns": list(self.columns)}


@dataclass
class EMSettings:
    sessions: str = "per_rule"  # per_rule (Splink's way: each rule's pairs train the other comparisons) | all
    max_iterations: int = 50
    tolerance: float = 1e-4
    max_pairs: int = 5_000_000  # pairs used per session (a uniform sample above this)
    train_u: bool = False  # u comes from random pairs; set to re-estimate it in EM as well
    m_floor: float = 1e-6


@dataclass
class LinkageSettings:
    comparisons: list[Comparison]
    blocking: list[BlockingRule]
    link_type: str = "dedupe"
    unique_id: str = "unique_id"
    training_blocking: list[BlockingRule] | None = None  # EM sessions (default: the blocking rules)
    em: EMSettings = field(default_factory=EMSettings)
    # random pairs sampled to estimate u: 300k puts ~300 pairs in a 1/1000 level (about 6% error on its u);
    # on the shared sets F1 is the same as with 1M (within 0.0004) at a third of the cost
    u_pairs: int = 300_000
    derived: dict[str, str] = field(default_factory=dict)  # column -> SQL expression over a record's columns
    prior: float | None = None  # probability that two random records match; estimated when None
    blocking_recall: float = 1.0  # assumed share of true matches the blocking reaches (for the prior)
    threshold: float = 0.5  # default decision point on the match probability
    seed: int = 1

    def __post_init__(self) -> None:
        if self.link_type not in LINK_TYPES:
            raise QinglangError(f"linkage settings: link_type must be one of {LINK_TYPES}, not {self.link_type!r}")
        names = [c.name for c in self.comparisons]
        if len(set(names)) != len(names):
            raise QinglangError(f"linkage settings: comparison names repeat: {names}")
        if not self.comparisons:
            raise QinglangError("linkage settings: at least one comparison is needed")
        for c in self.comparisons:
            if not c.levels:
                raise QinglangError(f"linkage settings: comparison {c.name!r} has no levels")
            if len(c.levels) > 14:
                raise QinglangError(f"linkage settings: comparison {c.name!r} has more than 14 levels")
        if self.em.sessions not in ("per_rule", "all"):
            raise QinglangError("linkage settings: em.sessions must be per_rule or all")

    # --- (de)serialisation -------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LinkageSettings":
        from qinglang.linkage.levels import KINDS

        def level(c: str, i: int, x: Any) -> Level:
            if isinstance(x, str):
                x = {"kind": x}
            if not isinstance(x, dict) or "kind" not in x:
                raise QinglangError(f"linkage settings: comparison {c!r} level {i + 1} needs a 'kind'")
            x = dict(x)
            kind = x.pop("kind")
            if kind not in KINDS:
                raise QinglangError(
                    f"linkage settings: comparison {c!r} level {i + 1}: unknown kind {kind!r}; known: {sorted(KINDS)}")
            opts = {k: x.pop(k) for k in ("tf", "tf_pair", "tf_min", "tf_weight", "tf_exclude", "m", "u", "fix_m")
                    if k in x}
            label = x.pop("label", None) or _default_label(kind, x)
            KINDS[kind].check(c, i, x)
            if opts.get("tf") is True:
                opts["tf"] = x.get("column")
            return Level(label=label, kind=kind, params=x, **opts)

        def rule(x: Any) -> BlockingRule:
            if isinstance(x, str):
                x = [x]
            if isinstance(x, (list, tuple)):
                x = {"keys": list(x)}
            if not isinstance(x, dict) or not x.get("keys"):
                raise QinglangError("linkage settings: a blocking rule needs 'keys' (SQL expressions)")
            keys = tuple(str(k) for k in x["keys"])
            cols = tuple(x.get("columns") or _columns_in(keys))
            return BlockingRule(keys=keys, name=str(x.get("name", "")),
                                max_pairs_per_key=int(x.get("max_pairs_per_key", 1_000_000)), columns=cols)

        comps = []
        for cd in d.get("comparisons", []):
            name = str(cd["name"])
            levels = [level(name, i, x) for i, x in enumerate(cd.get("levels", []))]
            cols = cd.get("columns")
            if cols is None:
                rec_levels = [lv for lv in levels if lv.kind != "pair"]
                cols = sorted({lv.params["column"] for lv in rec_levels if "column" in lv.params}
                              | {c for lv in rec_levels for c in lv.params.get("columns", [])})
            comps.append(Comparison(name=name, levels=levels, columns=tuple(cols),
                                    pair_columns=tuple(cd.get("pair_columns", ())),
                                    description=str(cd.get("description", "")),
                                    related=tuple(cd.get("related", ()))))
        em = EMSettings(**d.get("em", {}))
        tb = d.get("training_blocking")
        return cls(
            comparisons=comps,
            blocking=[rule(x) for x in d.get("blocking", [])],
            link_type=d.get("link_type", "dedupe"),
            unique_id=d.get("unique_id", "unique_id"),
            training_blocking=[rule(x) for x in tb] if tb else None,
            em=em,
            u_pairs=int(d.get("u_pairs", 300_000)),
            derived={str(k): str(v) for k, v in (d.get("derived") or {}).items()},
            prior=d.get("prior"),
            blocking_recall=float(d.get("blocking_recall", 1.0)),
            threshold=float(d.get("threshold", 0.5)),
            seed=int(d.get("seed", 1)),
        )

    def to_dict(self) -> dict[str, Any]:
        d = {
            "link_type": self.link_type,
            "unique_id": self.unique_id,
            "blocking": [b.to_dict() for b in self.blocking],
            "comparisons": [c.to_dict() for c in self.comparisons],
            "em": dict(self.em.__dict__),
            "u_pairs": self.u_pairs,
            "prior": self.prior,
            "blocking_recall": self.blocking_recall,
            "threshold": self.threshold,
            "seed": self.seed,
        }
        if self.training_blocking:
            d["training_blocking"] = [b.to_dict() for b in self.training_blocking]
        if self.derived:
            d["derived"] = dict(self.derived)
        return d


def _default_label(kind: str, params: dict[str, Any]) -> str:
    col = params.get("column") or ",".join(params.get("columns", [])) or ""
    bits = [kind]
    for k in ("min", "max", "max_days", "min_count"):
        if k in params:
            bits.append(f"{'>=' if k.startswith('min') else '<='}{params[k]}")
    return f"{col} {' '.join(bits)}".strip()


def _columns_in(keys: tuple[str, ...]) -> list[str]:
    """Identifiers in SQL key expressions (a best effort; give `columns` explicitly when it matters)."""
    import re

    words: list[str] = []
    sql_words = {"substr", "substring", "left", "right", "lower", "upper", "year", "month", "day", "cast", "as",
                 "varchar", "integer", "int", "bigint", "date", "strftime", "coalesce", "trim", "length", "soundex",
                 "split_part", "regexp_replace", "concat", "and", "or", "not", "null", "is", "hash", "md5"}
    for k in keys:
        for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", re.sub(r"'[^']*'", "", k)):
            if w.lower() not in sql_words and w not in words:
                words.append(w)
    return words

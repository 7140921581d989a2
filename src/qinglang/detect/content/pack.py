"""Policy packs: versioned YAML (or TOML) files of categories, terms, patterns,
allow-lists, context rules, co-occurrence rules and per-tier thresholds.

The format is documented in docs/content.md ("Policy packs"). `load_pack()`
validates a file completely and raises `PackError` naming the file and line of
the first problem; `validate_pack()` collects every problem and warning instead
(for `qinglang policy validate`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from qinglang.detect.content.normalize import NormOptions
from qinglang.detect.content.yamlines import LDict, LList, PackError, load_file, loads
from qinglang.domain.vocab import Category, Tier

FORMAT_VERSION = 1

#: Categories a post can violate (the data contract's, less the account-level ones).
CONTENT_CATEGORIES = (
    Category.HEROES_MARTYRS.value,
    Category.RUMOR.value,
    Category.SOFT_PORN.value,
    Category.VULGAR_MARKETING.value,
    Category.ILLEGAL_CONDUCT.value,
    Category.ABUSE.value,
    Category.OTHER.value,
)
DECISIONS = ("pass", "review", "block")
SCOPES = ("clause", "post")  # of context rules
COMBO_SCOPES = ("clause", "post", "adjacent")
PATTERN_ROLES = ("term", "anchor", "modifier")
TIERS = tuple(t.value for t in Tier)

DEFAULT_THRESHOLDS = {
    "head": (0.30, 0.70),
    "large": (0.40, 0.80),
    "regular": (0.50, 0.90),
}


@dataclass(frozen=True)
class Term:
    text: str  # as written in the pack
    weight: float
    category: str  # "" for pack-wide contexts
    role: str  # term | anchor | modifier | allow | context
    ref: str  # term text, list name, or context name
    pinyin: bool = True  # also matched through the pinyin channel
    line: int = 0


@dataclass(frozen=True)
class Pattern:
    name: str
    regex: str
    weight: float
    category: str
    on: str = "normalized"  # normalized | original
    line: int = 0
    role: str = "term"  # term (evidence on its own) | anchor | modifier (evidence only in a combo)


@dataclass(frozen=True)
class Context:
    name: str
    factor: float  # multiplies the weight of hits it applies to (< 1 lowers, > 1 raises)
    scope: str  # clause | post
    terms: tuple[str, ...]
    line: int = 0


@dataclass(frozen=True)
class Combo:
    name: str
    anchors: str  # list name (a category list or "gazetteer") or the name of an anchor pattern
    modifiers: str  # list name or the name of a modifier pattern
    weight: float
    scope: str = "clause"  # clause | post | adjacent
    line: int = 0
    reach: int = 0  # clause scope: the parts may also sit up to this many clauses apart ...
    reach_factor: float = 0.85  # ... the weight multiplied by this once per clause between them
    gap: int = 1  # adjacent scope: at most this many (normalised) characters between the parts


@dataclass(frozen=True)
class Hero:
    name: str
    aliases: tuple[str, ...]
    pinyin: str
    initials: str
    note: str = ""
    line: int = 0


@dataclass
class CategoryPolicy:
    name: str
    weight: float
    terms: list[Term] = field(default_factory=list)
    patterns: list[Pattern] = field(default_factory=list)
    allow: list[str] = field(default_factory=list)
    contexts: list[str] = field(default_factory=list)  # names of pack contexts
    combos: list[Combo] = field(default_factory=list)
    lists: dict[str, list[Term]] = field(default_factory=dict)  # named anchor/modifier lists
    gazetteer: list[Hero] = field(default_factory=list)
    thresholds: dict[str, tuple[float, float]] = field(default_factory=dict)

    def count_rules(self) -> int:
        return (len(self.terms) + len(self.patterns) + sum(len(v) for v in self.lists.values())
                + len(self.gazetteer))


@dataclass(frozen=True)
class PinyinConfig:
    enabled: bool = True
    min_syllables: int = 2  # Han terms shorter than this stay out of the pinyin channel
    weight_factor: float = 0.85  # a hit found only through pinyin weighs this much of the term
    long_weight_factor: float = 1.0  # ... when it covers 3 or more characters (rarely a coincidence)
    drop_common: bool = True  # drop keys that sound like a common word (jieba dictionary)
    common_min_freq: int = 30
    initial_variants: bool = True  # also match terms with some characters written as their pinyin initial


@dataclass(frozen=True)
class PackTest:
    text: str
    expect: dict[str, str]  # category -> decision
    tier: str | None
    line: int


@dataclass
class PolicyPack:
    name: str
    version: str
    description: str
    source: str  # file path or "default"
    digest: str  # sha256 of the file
    normalize: NormOptions
    stand_ins: dict[str, str]
    pinyin: PinyinConfig
    thresholds: dict[str, tuple[float, float]]
    contexts: dict[str, Context]
    categories: dict[str, CategoryPolicy]
    tests: list[PackTest]
    warnings: list[str] = field(default_factory=list)

    def thresholds_for(self, category: str, tier: str) -> tuple[float, float]:
        cat = self.categories.get(category)
        if cat and tier in cat.thresholds:
            return cat.thresholds[tier]
        return self.thresholds.get(tier, DEFAULT_THRESHOLDS[tier])

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "sha256": self.digest,
            "categories": {c: p.count_rules() for c, p in self.categories.items()},
            "contexts": len(self.contexts),
            "tests": len(self.tests),
        }


# ----------------------------------------------------------------------------
class _Parser:
    def __init__(self, file: str, source: str, strict: bool = True):
        self.file = file
        self.source = source
        self.strict = strict
        self.errors: list[PackError] = []
        self.warnings: list[str] = []

    def fail(self, line: int | None, msg: str) -> None:
        err = PackError(self.file, line, msg, self.source)
        if self.strict:
            raise err
        self.errors.append(err)

    def warn(self, line: int | None, msg: str) -> None:
        self.warnings.append(f"file {self.file}" + (f", line {line}" if line else "") + f": {msg}")

    # --- helpers -----------------------------------------------------------
    def mapping(self, value: Any, where: str, line: int, known: tuple[str, ...]) -> LDict | None:
        if not isinstance(value, dict):
            self.fail(line, f"{where} must be a mapping (key: value), not {type(value).__name__}")
            return None
        for k in value:
            if k not in known:
                self.fail(value.line_of(k) if isinstance(value, LDict) else line,
                          f"unknown key {k!r} in {where}; known keys: {', '.join(known)}")
        return value

    def number(self, value: Any, where: str, line: int, lo: float, hi: float, default: float | None = None) -> float:
        if value is None and default is not None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(line, f"{where} must be a number between {lo} and {hi}, not {value!r}")
            return default if default is not None else lo
        if not lo <= float(value) <= hi:
            self.fail(line, f"{where} must be between {lo} and {hi}, not {value}")
        return float(value)

    def text(self, value: Any, where: str, line: int) -> str:
        if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
            self.fail(line, f"{where} must be text, not {value!r}")
            return ""
        s = str(value)
        if not s.strip():
            self.fail(line, f"{where} must not be empty")
        return s

    def choice(self, value: Any, where: str, line: int, options: tuple[str, ...], default: str) -> str:
        if value is None:
            return default
        if value not in options:
            self.fail(line, f"{where} must be one of {', '.join(options)}, not {value!r}")
            return default
        return str(value)

    def str_list(self, value: Any, where: str, line: int) -> list[tuple[str, int]]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(line, f"{where} must be a list")
            return []
        out = []
        for i, v in enumerate(value):
            ln = value.line_of(i) if isinstance(value, LList) else line
            s = self.text(v, f"{where} item {i + 1}", ln)
            if s:
                out.append((s, ln))
        return out

    def thresholds(self, value: Any, where: str, line: int) -> dict[str, tuple[float, float]]:
        out: dict[str, tuple[float, float]] = {}
        m = self.mapping(value, where, line, TIERS)
        if m is None:
            return out
        for tier, v in m.items():
            ln = m.line_of(tier)
            t = self.mapping(v, f"{where}.{tier}", ln, ("review", "block"))
            if t is None or tier not in TIERS:
                continue
            r = self.number(t.get("review"), f"{where}.{tier}.review", t.line_of("review"), 0.0, 1.0)
            b = self.number(t.get("block"), f"{where}.{tier}.block", t.line_of("block"), 0.0, 1.0)
            if "review" not in t or "block" not in t:
                self.fail(ln, f"{where}.{tier} needs both review and block")
            elif r > b:
                self.fail(ln, f"{where}.{tier}: review ({r}) must not exceed block ({b})")
            out[tier] = (r, b)
        return out

    def term_items(self, value: Any, where: str, line: int, category: str, role: str, ref: str | None,
                   default_weight: float) -> list[Term]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(line, f"{where} must be a list of terms")
            return []
        out = []
        for i, item in enumerate(value):
            ln = value.line_of(i) if isinstance(value, LList) else line
            if isinstance(item, dict):
                m = self.mapping(item, f"{where} item {i + 1}", ln, ("term", "weight", "pinyin", "note"))
                if m is None:
                    continue
                if "term" not in m:
                    self.fail(ln, f"{where} item {i + 1} needs a 'term'")
                    continue
                text = self.text(m["term"], f"{where} item {i + 1} term", m.line_of("term"))
                w = self.number(m.get("weight"), f"{where} item {i + 1} weight", m.line_of("weight"), 0.0, 1.0,
                                default_weight)
                py = m.get("pinyin", True)
                if not isinstance(py, bool):
                    self.fail(m.line_of("pinyin"), f"{where} item {i + 1} pinyin must be true or false")
                    py = True
            else:
                text = self.text(item, f"{where} item {i + 1}", ln)
                w = default_weight
                py = True
            if text:
                out.append(Term(text, w, category, role, ref if ref is not None else text, bool(py), ln))
        return out

    # --- sections ----------------------------------------------------------
    def parse(self, data: Any) -> PolicyPack:
        top = ("qinglang_policy", "name", "version", "description", "normalize", "stand_ins", "pinyin",
               "thresholds", "contexts", "categories", "tests")
        root = self.mapping(data, "the policy pack", 1, top)
        if root is None:
            raise self.errors[0]
        fmt = root.get("qinglang_policy")
        if fmt is None:
            self.fail(1, f"missing 'qinglang_policy: {FORMAT_VERSION}' (the pack format version)")
        elif fmt != FORMAT_VERSION:
            self.fail(root.line_of("qinglang_policy"),
                      f"qinglang_policy {fmt!r} is not supported; this qinglang reads format {FORMAT_VERSION}")
        name = self.text(root.get("name", ""), "name", root.line_of("name")) if "name" in root else ""
        if not name:
            self.fail(1, "missing 'name' (the pack's name)")
        version = str(root.get("version", "")) if "version" in root else ""
        if not version:
            self.fail(1, "missing 'version' (the pack's own version, e.g. 2025.1)")

        norm = NormOptions()
        if "normalize" in root:
            fields = tuple(NormOptions.__dataclass_fields__)
            m = self.mapping(root["normalize"], "normalize", root.line_of("normalize"), fields)
            kw = {}
            for k, v in (m or {}).items():
                if k == "min_repeat":
                    if isinstance(v, bool) or not isinstance(v, int) or v < 2:
                        self.fail(m.line_of(k), "normalize.min_repeat must be an integer >= 2")
                        continue
                elif not isinstance(v, bool):
                    self.fail(m.line_of(k), f"normalize.{k} must be true or false")
                    continue
                kw[k] = v
            norm = NormOptions(**kw)

        stand_ins: dict[str, str] = {}
        if "stand_ins" in root:
            m = root["stand_ins"]
            if not isinstance(m, dict):
                self.fail(root.line_of("stand_ins"), "stand_ins must map a character to what it stands for")
            else:
                for k, v in m.items():
                    ln = m.line_of(k) if isinstance(m, LDict) else 0
                    if len(str(k)) != 1:
                        self.fail(ln, f"stand_ins key {k!r} must be a single character")
                        continue
                    if not isinstance(v, str):
                        self.fail(ln, f"stand_ins[{k!r}] must be text ('' deletes the character)")
                        continue
                    stand_ins[str(k)] = v

        pinyin = PinyinConfig()
        if "pinyin" in root:
            fields = tuple(PinyinConfig.__dataclass_fields__)
            m = self.mapping(root["pinyin"], "pinyin", root.line_of("pinyin"), fields) or {}
            kw = {}
            for k, v in m.items():
                ln = m.line_of(k)
                if k in ("enabled", "drop_common", "initial_variants"):
                    if not isinstance(v, bool):
                        self.fail(ln, f"pinyin.{k} must be true or false")
                        continue
                elif k in ("min_syllables", "common_min_freq"):
                    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                        self.fail(ln, f"pinyin.{k} must be a positive integer")
                        continue
                elif k in ("weight_factor", "long_weight_factor"):
                    v = self.number(v, f"pinyin.{k}", ln, 0.0, 1.0)
                kw[k] = v
            pinyin = PinyinConfig(**kw)

        thresholds = dict(DEFAULT_THRESHOLDS)
        if "thresholds" in root:
            thresholds.update(self.thresholds(root["thresholds"], "thresholds", root.line_of("thresholds")))

        contexts: dict[str, Context] = {}
        if "contexts" in root:
            m = root["contexts"]
            if not isinstance(m, dict):
                self.fail(root.line_of("contexts"), "contexts must be a mapping of name -> context rule")
            else:
                for cname, spec in m.items():
                    ln = m.line_of(cname)
                    c = self.context(cname, spec, ln)
                    if c:
                        contexts[cname] = c

        categories: dict[str, CategoryPolicy] = {}
        if "categories" not in root:
            self.fail(1, "missing 'categories'")
        else:
            m = root["categories"]
            if not isinstance(m, dict):
                self.fail(root.line_of("categories"), "categories must be a mapping of category -> rules")
            else:
                for cname, spec in m.items():
                    ln = m.line_of(cname)
                    if cname not in CONTENT_CATEGORIES:
                        self.fail(ln, f"unknown category {cname!r}; content categories are "
                                      f"{', '.join(CONTENT_CATEGORIES)}")
                        continue
                    cat = self.category(cname, spec, ln, contexts)
                    if cat:
                        categories[cname] = cat

        tests: list[PackTest] = []
        if "tests" in root:
            tests = self.tests(root["tests"], root.line_of("tests"), categories)

        if self.errors:
            raise self.errors[0]
        return PolicyPack(name=name, version=version, description=str(root.get("description", "")),
                          source=self.file, digest="", normalize=norm, stand_ins=stand_ins, pinyin=pinyin,
                          thresholds=thresholds, contexts=contexts, categories=categories, tests=tests,
                          warnings=self.warnings)

    def context(self, name: str, spec: Any, line: int) -> Context | None:
        m = self.mapping(spec, f"contexts.{name}", line, ("factor", "scope", "terms", "note"))
        if m is None:
            return None
        factor = self.number(m.get("factor"), f"contexts.{name}.factor", m.line_of("factor"), 0.0, 2.0)
        if "factor" not in m:
            self.fail(line, f"contexts.{name} needs a factor (e.g. 0.3 to lower, 1.5 to raise)")
        scope = self.choice(m.get("scope"), f"contexts.{name}.scope", m.line_of("scope"), SCOPES, "post")
        terms = self.str_list(m.get("terms"), f"contexts.{name}.terms", m.line_of("terms"))
        if not terms:
            self.fail(line, f"contexts.{name} needs at least one term")
        return Context(name, factor, scope, tuple(t for t, _ in terms), line)

    def category(self, name: str, spec: Any, line: int, contexts: dict[str, Context]) -> CategoryPolicy | None:
        keys = ("description", "weight", "terms", "patterns", "allow", "contexts", "combos", "lists", "gazetteer",
                "thresholds")
        m = self.mapping(spec, f"categories.{name}", line, keys)
        if m is None:
            return None
        where = f"categories.{name}"
        weight = self.number(m.get("weight"), f"{where}.weight", m.line_of("weight"), 0.0, 1.0, 0.6)
        cat = CategoryPolicy(name, weight)
        cat.terms = self.term_items(m.get("terms"), f"{where}.terms", m.line_of("terms"), name, "term", None, weight)
        seen: dict[str, int] = {}
        for t in cat.terms:
            if t.text in seen:
                self.warn(t.line, f"{where}.terms: {t.text!r} repeats line {seen[t.text]}")
            seen.setdefault(t.text, t.line)
        if "patterns" in m:
            pats = m["patterns"]
            if not isinstance(pats, list):
                self.fail(m.line_of("patterns"), f"{where}.patterns must be a list")
            else:
                for i, p in enumerate(pats):
                    ln = pats.line_of(i)
                    pm = self.mapping(p, f"{where}.patterns item {i + 1}", ln,
                                      ("name", "regex", "weight", "on", "role", "note"))
                    if pm is None:
                        continue
                    regex = self.text(pm.get("regex"), f"{where}.patterns item {i + 1} regex", pm.line_of("regex"))
                    if regex:
                        try:
                            rx = re.compile(regex)
                            if rx.match(""):
                                self.fail(pm.line_of("regex"), f"{where}.patterns item {i + 1}: the regex matches empty text")
                        except re.error as e:
                            self.fail(pm.line_of("regex"), f"{where}.patterns item {i + 1}: bad regex ({e})")
                            continue
                    pname = str(pm.get("name") or f"{name}_pattern_{i + 1}")
                    w = self.number(pm.get("weight"), f"{where}.patterns item {i + 1} weight", pm.line_of("weight"),
                                    0.0, 1.0, weight)
                    on = self.choice(pm.get("on"), f"{where}.patterns item {i + 1} on", pm.line_of("on"),
                                     ("normalized", "original"), "normalized")
                    role = self.choice(pm.get("role"), f"{where}.patterns item {i + 1} role", pm.line_of("role"),
                                       PATTERN_ROLES, "term")
                    cat.patterns.append(Pattern(pname, regex, w, name, on, ln, role))
        cat.allow = [t for t, _ in self.str_list(m.get("allow"), f"{where}.allow", m.line_of("allow"))]
        if "contexts" in m:
            cl = m["contexts"]
            if not isinstance(cl, list):
                self.fail(m.line_of("contexts"), f"{where}.contexts must be a list of context names")
            else:
                for i, c in enumerate(cl):
                    ln = cl.line_of(i)
                    if isinstance(c, dict):
                        cname = f"{name}.{c.get('name', i + 1)}"
                        inline = dict(c)
                        inline.pop("name", None)
                        ld = LDict(inline)
                        ld.line = c.line if isinstance(c, LDict) else ln
                        ld.key_lines = getattr(c, "key_lines", {})
                        ctx = self.context(cname, ld, ln)
                        if ctx:
                            contexts[cname] = ctx
                            cat.contexts.append(cname)
                    elif c not in contexts:
                        self.fail(ln, f"{where}.contexts: unknown context {c!r}; define it under 'contexts' "
                                      f"(known: {', '.join(sorted(contexts)) or 'none'})")
                    else:
                        cat.contexts.append(str(c))
        if "lists" in m:
            lm = m["lists"]
            if not isinstance(lm, dict):
                self.fail(m.line_of("lists"), f"{where}.lists must map a list name to terms")
            else:
                for lname, items in lm.items():
                    cat.lists[lname] = self.term_items(items, f"{where}.lists.{lname}", lm.line_of(lname), name,
                                                       "list", lname, weight)
        if "gazetteer" in m:
            cat.gazetteer = self.gazetteer(m["gazetteer"], f"{where}.gazetteer", m.line_of("gazetteer"))
        if "combos" in m:
            cm = m["combos"]
            if not isinstance(cm, list):
                self.fail(m.line_of("combos"), f"{where}.combos must be a list")
            else:
                for i, c in enumerate(cm):
                    ln = cm.line_of(i)
                    cc = self.mapping(c, f"{where}.combos item {i + 1}", ln,
                                      ("name", "anchors", "modifiers", "weight", "scope", "reach", "reach_factor",
                                       "gap", "note"))
                    if cc is None:
                        continue
                    role_patterns = {p.name: p.role for p in cat.patterns if p.role != "term"}
                    for part in ("anchors", "modifiers"):
                        ref = cc.get(part)
                        if ref is None:
                            self.fail(ln, f"{where}.combos item {i + 1} needs '{part}' (a list name)")
                        elif ref != "gazetteer" and ref not in cat.lists and ref not in role_patterns:
                            self.fail(cc.line_of(part), f"{where}.combos item {i + 1}: {part} {ref!r} is neither "
                                                        f"'gazetteer', a list under {where}.lists nor a pattern "
                                                        f"with role anchor or modifier")
                        elif ref == "gazetteer" and not cat.gazetteer:
                            self.fail(cc.line_of(part), f"{where}.combos item {i + 1}: {where} has no gazetteer")
                        elif ref in role_patterns and role_patterns[ref] != part[:-1]:
                            self.fail(cc.line_of(part), f"{where}.combos item {i + 1}: pattern {ref!r} has role "
                                                        f"{role_patterns[ref]}, not {part[:-1]}")
                    w = self.number(cc.get("weight"), f"{where}.combos item {i + 1} weight", cc.line_of("weight"),
                                    0.0, 1.0, weight)
                    scope = self.choice(cc.get("scope"), f"{where}.combos item {i + 1} scope", cc.line_of("scope"),
                                        COMBO_SCOPES, "clause")
                    ints = {}
                    for k, lo, hi, default in (("reach", 0, 5, 0), ("gap", 0, 10, 1)):
                        v = cc.get(k, default)
                        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                            self.fail(cc.line_of(k), f"{where}.combos item {i + 1} {k} must be an integer from "
                                                     f"{lo} to {hi}, not {v!r}")
                            v = default
                        ints[k] = v
                    if "reach" in cc and scope != "clause":
                        self.fail(cc.line_of("reach"), f"{where}.combos item {i + 1}: reach needs scope clause")
                    if "gap" in cc and scope != "adjacent":
                        self.fail(cc.line_of("gap"), f"{where}.combos item {i + 1}: gap needs scope adjacent")
                    rf = self.number(cc.get("reach_factor"), f"{where}.combos item {i + 1} reach_factor",
                                     cc.line_of("reach_factor"), 0.0, 1.0, 0.85)
                    cat.combos.append(Combo(str(cc.get("name") or f"{name}_combo_{i + 1}"), str(cc.get("anchors")),
                                            str(cc.get("modifiers")), w, scope, ln, ints["reach"], rf, ints["gap"]))
        if "thresholds" in m:
            cat.thresholds = self.thresholds(m["thresholds"], f"{where}.thresholds", m.line_of("thresholds"))
        if not (cat.terms or cat.patterns or cat.combos):
            self.warn(line, f"{where} has no terms, patterns or combos: it can never match")
        return cat

    def gazetteer(self, value: Any, where: str, line: int) -> list[Hero]:
        if not isinstance(value, list):
            self.fail(line, f"{where} must be a list of people")
            return []
        out = []
        for i, v in enumerate(value):
            ln = value.line_of(i)
            m = self.mapping(v, f"{where} item {i + 1}", ln, ("name", "aliases", "pinyin", "initials", "note"))
            if m is None:
                continue
            name = self.text(m.get("name"), f"{where} item {i + 1} name", m.line_of("name"))
            aliases = tuple(a for a, _ in self.str_list(m.get("aliases"), f"{where} item {i + 1} aliases",
                                                        m.line_of("aliases")))
            py = str(m.get("pinyin", "") or "")
            ini = str(m.get("initials", "") or "")
            for label, val in (("pinyin", py), ("initials", ini)):
                if val and not re.fullmatch(r"[a-z]+", val):
                    self.fail(m.line_of(label), f"{where} item {i + 1} {label} must be lower-case latin letters, "
                                                f"not {val!r}")
            if py and ini and ini[0] != py[0]:
                self.fail(m.line_of("initials"), f"{where} item {i + 1}: initials {ini!r} do not start like pinyin {py!r}")
            if name:
                out.append(Hero(name, aliases, py, ini, str(m.get("note", "") or ""), ln))
        return out

    def tests(self, value: Any, line: int, categories: dict[str, CategoryPolicy]) -> list[PackTest]:
        if not isinstance(value, list):
            self.fail(line, "tests must be a list of {text, expect, tier}")
            return []
        out = []
        for i, v in enumerate(value):
            ln = value.line_of(i)
            m = self.mapping(v, f"tests item {i + 1}", ln, ("text", "expect", "tier", "note"))
            if m is None:
                continue
            text = m.get("text")
            if not isinstance(text, str):
                self.fail(m.line_of("text"), f"tests item {i + 1} needs a text")
                continue
            exp = m.get("expect")
            if not isinstance(exp, dict) or not exp:
                self.fail(m.line_of("expect"), f"tests item {i + 1}: expect must map category -> pass|review|block")
                continue
            expect = {}
            for c, d in exp.items():
                cl = exp.line_of(c) if isinstance(exp, LDict) else ln
                if c not in CONTENT_CATEGORIES and c != "decision":
                    self.fail(cl, f"tests item {i + 1}: unknown category {c!r}")
                elif d not in DECISIONS:
                    self.fail(cl, f"tests item {i + 1}: decision must be pass, review or block, not {d!r}")
                else:
                    expect[str(c)] = str(d)
            tier = m.get("tier")
            if tier is not None and tier not in TIERS:
                self.fail(m.line_of("tier"), f"tests item {i + 1}: tier must be one of {', '.join(TIERS)}")
                tier = None
            out.append(PackTest(text, expect, tier, ln))
        return out


def _digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def parse_pack(source: str, file: str = "<policy>", toml: bool = False, strict: bool = True) -> PolicyPack:
    data = loads(source, file, toml=toml)
    pack = _Parser(file, source, strict).parse(data)
    pack.digest = _digest(source)
    return pack


def load_pack(path: Path | str) -> PolicyPack:
    """Load and validate a policy pack file; raises PackError (file, line) on the first problem."""
    path = Path(path)
    data, source = load_file(path)
    pack = _Parser(str(path), source).parse(data)
    pack.digest = _digest(source)
    return pack


def validate_pack(path: Path | str) -> tuple[PolicyPack | None, list[PackError], list[str]]:
    """Every problem in a pack file (not just the first), and its warnings."""
    path = Path(path)
    try:
        data, source = load_file(path)
    except PackError as e:
        return None, [e], []
    p = _Parser(str(path), source, strict=False)
    try:
        pack = p.parse(data)
        pack.digest = _digest(source)
        return pack, [], p.warnings
    except PackError:
        return None, p.errors, p.warnings


DEFAULT_PACK = "default.yaml"


def default_pack_source() -> str:
    return resources.files("qinglang.detect.content").joinpath("packs", DEFAULT_PACK).read_text(encoding="utf-8")


def load_default_pack() -> PolicyPack:
    pack = parse_pack(default_pack_source(), file=f"qinglang/detect/content/packs/{DEFAULT_PACK}")
    pack.source = "default"
    return pack

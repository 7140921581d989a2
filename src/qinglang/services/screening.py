"""Content screening use cases: screen posts, manage the policy pack, rumour base and
image banks, train the content model.

The HTTP API and the CLI call these; `screener(app)` gives the loaded in-process
screener (`screener(app).screen(texts, tier=None) -> list[ScreenResult]`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

from qinglang.detect.content import store
from qinglang.detect.content.inputs import read_rows
from qinglang.detect.content.pack import CONTENT_CATEGORIES, PolicyPack, load_pack, validate_pack
from qinglang.detect.content.screener import Screener, ScreenResult
from qinglang.errors import InputError


def screener(app, use_model: bool = True) -> Screener:
    return store.load_screener(app.workspace.home, app.settings.section("content"), use_model=use_model)


def screen(app, texts: Sequence[str], tier: str | Sequence[str] | None = None,
           image_hashes: Sequence[Iterable[str] | None] | None = None,
           reactions: Sequence[Sequence[str] | str | None] | None = None) -> list[ScreenResult]:
    """Screen posts. `reactions`: per post the texts of its first reposts/comments (or None); a trained
    model with reaction models (rumours) judges posts that have them with them."""
    return screener(app).screen(texts, tier=tier, image_hashes=image_hashes, reactions=reactions)


def _reactions_of(rows: list[dict]) -> list | None:
    """The optional `reactions` column: a JSON list (JSON Lines) or text with ` ||| ` between reactions."""
    if not rows or not any("reactions" in r for r in rows):
        return None
    out = []
    for r in rows:
        v = r.get("reactions")
        out.append(None if v is None or v == "" else [str(x) for x in v] if isinstance(v, list) else str(v))
    return out


def read_posts_file(path: Path) -> tuple[list[str], list[list[str] | None] | None]:
    """Texts (and image hashes when the file has an `image_hashes` column) of a .txt/.csv/.jsonl file."""
    texts, hashes, _ = read_posts_file_full(path)
    return texts, hashes


def read_posts_file_full(path: Path) -> tuple[list[str], list[list[str] | None] | None, list | None]:
    """Texts, image hashes (`image_hashes` column) and reactions (`reactions` column) of a posts file."""
    rows = read_rows(path, required=("text",))
    texts = [str(r.get("text") or "") for r in rows]
    hashes = None
    if rows and any("image_hashes" in r for r in rows):
        hashes = []
        for r in rows:
            v = r.get("image_hashes")
            if v is None or v == "":
                hashes.append(None)
            elif isinstance(v, list):
                hashes.append([str(x) for x in v])
            else:
                hashes.append([x for x in str(v).split(";") if x])
    return texts, hashes, _reactions_of(rows)


# --- policy ---------------------------------------------------------------
def policy_validate(file: Path) -> tuple[PolicyPack | None, list, list[str]]:
    pack, errors, warnings = validate_pack(file)
    if pack is not None and not errors:
        from qinglang.detect.content.lexicon import compile_pack
        from qinglang.detect.content.yamlines import PackError

        try:
            compile_pack(pack)
        except PackError as e:
            return None, [e], warnings
    return pack, errors, warnings


def policy_test(app, file: Path | None = None, cases: Path | None = None) -> dict:
    """Run a pack's own `tests` (and a CSV/JSONL of {text, category, decision[, tier]} cases) against it."""
    if file is not None:
        pack = load_pack(file)
        sc = Screener(pack)
    else:
        sc = screener(app, use_model=False)
        pack = sc.pack
    items = [(t.text, t.expect, t.tier, f"line {t.line}") for t in pack.tests]
    if cases is not None:
        rows = read_rows(cases, required=("text", "category", "decision"))
        for i, r in enumerate(rows, 1):
            cat, dec = str(r["category"]), str(r["decision"])
            if cat not in CONTENT_CATEGORIES and cat != "decision":
                raise InputError(str(cases), f"unknown category {cat!r}", row=i, column="category")
            if dec not in ("pass", "review", "block"):
                raise InputError(str(cases), "decision must be pass, review or block", row=i, column="decision")
            items.append((str(r["text"]), {cat: dec}, r.get("tier") or None, f"{cases} row {i}"))
    results = []
    for text, expect, tier, where in items:
        r = sc.screen([text], tier=tier)[0]
        got = {}
        ok = True
        for cat, want in expect.items():
            if cat == "decision":
                have = r.decision
            else:
                s = r.categories.get(cat, 0.0)
                rv, bl = pack.thresholds_for(cat, r.tier)
                have = "block" if s >= bl else "review" if s >= rv else "pass"
            got[cat] = have
            if have != want:
                ok = False
        results.append({"where": where, "text": text, "tier": r.tier, "expect": expect, "got": got, "ok": ok,
                        "categories": r.categories})
    return {"pack": pack.summary(), "passed": sum(r["ok"] for r in results),
            "failed": sum(not r["ok"] for r in results), "results": results}


def policy_install(app, file: Path) -> PolicyPack:
    return store.install_policy(app.workspace.home, Path(file))


def policy_reset(app) -> None:
    store.reset_policy(app.workspace.home)


def policy_show(app) -> dict:
    sc = screener(app, use_model=False)
    return {**sc.pack.summary(), "lexicon": sc.lexicon.stats(),
            "installed_file": str(store.policy_path(app.workspace.home) or "")}


# --- rumours and image banks ---------------------------------------------------
def rumors_add(app, file: Path) -> dict:
    from qinglang.detect.content.rumors import add_rumors

    sc = screener(app, use_model=False)
    return add_rumors(store.content_dir(app.workspace.home), Path(file), sc.normalizer)


def rumors_list(app) -> list[dict]:
    import json

    p = store.content_dir(app.workspace.home) / "rumors.jsonl"
    if not p.exists():
        return []
    with open(p, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def image_bank_add(app, name: str, file: Path, kind: str | None, threshold: int | None, category: str | None) -> dict:
    from qinglang.detect.content.images import add_to_bank

    return add_to_bank(store.content_dir(app.workspace.home), name, Path(file), kind, threshold, category)


def image_bank_list(app) -> list[dict]:
    from qinglang.detect.content.images import list_banks

    return list_banks(store.content_dir(app.workspace.home))


def image_bank_remove(app, name: str) -> None:
    from qinglang.detect.content.images import remove_bank

    remove_bank(store.content_dir(app.workspace.home), name)


def image_match(app, hashes: list[str]) -> list[dict]:
    from qinglang.detect.content.images import ImageBanks

    banks = ImageBanks.load(store.content_dir(app.workspace.home))
    m = banks.match_posts([hashes])
    return [im.__dict__ for im in m.get(0, [])]


# --- training -----------------------------------------------------------------
def load_labels(app, file: Path) -> tuple[list[str], list[str], list[bool] | None]:
    """Texts, categories and (when a `split` column says dev/train) a dev mask from a labels file:
    `text,category` or `post_id,category` (texts looked up in the lake)."""
    texts, cats, dev, _ = load_labels_full(app, file)
    return texts, cats, dev


def load_labels_full(app, file: Path) -> tuple[list[str], list[str], list[bool] | None, list | None]:
    """load_labels plus each post's reactions: the `reactions` column when the file has one, else for
    `post_id` labels the first reposts' texts from the lake (None when there are none)."""
    path = Path(file)
    rows = read_rows(path, required=("category",))
    if not rows:
        raise InputError(str(path), "no labelled rows")
    has_text = "text" in rows[0]
    has_post = "post_id" in rows[0]
    if not has_text and not has_post:
        raise InputError(str(path), "needs a `text` or a `post_id` column next to `category`")
    valid = set(CONTENT_CATEGORIES) | {"none"}
    cats = []
    for i, r in enumerate(rows, 1):
        c = str(r["category"]).strip()
        if c not in valid:
            raise InputError(str(path), f"category {c!r} is not one of {', '.join(sorted(valid))}", row=i,
                             column="category")
        cats.append(c)
    reactions = _reactions_of(rows)
    if has_text:
        texts = [str(r.get("text") or "") for r in rows]
    else:
        from qinglang.detect.content.reactions import first_reposts

        engine = app.engine()
        try:
            import pyarrow as pa

            ids = [str(r["post_id"]) for r in rows]
            engine.register("label_ids", pa.table({"post_id": ids}))
            got = engine.sql("SELECT p.post_id, p.text FROM posts p JOIN label_ids l ON l.post_id = p.post_id")
            by_id = dict(zip(got.column("post_id").to_pylist(), got.column("text").to_pylist()))
            if reactions is None:
                lake_reactions = first_reposts(engine)
                if lake_reactions:
                    reactions = [lake_reactions.get(pid) for pid in ids]
        finally:
            engine.close()
        texts = []
        for i, pid in enumerate(ids, 1):
            if pid not in by_id:
                raise InputError(str(path), f"post {pid!r} is not in the lake", row=i, column="post_id")
            texts.append(by_id[pid] or "")
    dev = None
    if "split" in rows[0]:
        dev = [str(r.get("split") or "").strip().lower() == "dev" for r in rows]
        if not any(dev):
            dev = None
    return texts, cats, dev, reactions


def train_content(app, file: Path, embeddings: str | None = None, progress=None) -> dict:
    import numpy as np

    from qinglang.detect.content import classifier

    texts, cats, dev, reactions = load_labels_full(app, file)
    sc = screener(app, use_model=False)
    rules, norms = sc.rule_matrix(texts, with_norm=True)
    model = classifier.train(texts, cats, rules, sc.categories, dev_mask=np.asarray(dev) if dev else None,
                             embeddings=embeddings, progress=progress, norm_texts=norms,
                             reactions=sc.normalized_reactions(reactions) if reactions is not None else None)
    model.meta["labels_file"] = str(file)
    model.meta["pack"] = sc.pack.summary()["name"] + " " + sc.pack.version
    model.save(store.model_dir(app.workspace.home))
    return model.meta


def model_info(app) -> dict | None:
    from qinglang.detect.content.classifier import ContentModel

    m = ContentModel.load(store.model_dir(app.workspace.home))
    return m.meta if m is not None else None

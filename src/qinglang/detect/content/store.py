"""Where content screening keeps its inputs in a workspace, and loading them.

    <home>/content/policy.yaml (or policy.toml)   the policy pack in use (default: the shipped pack)
    <home>/content/rumors.jsonl                   the rumour base
    <home>/content/image_banks/                   image banks
    <home>/models/content/                        the trained model (model.pkl, meta.json)

`load_screener()` builds a Screener from these and caches it per process until
one of the files changes.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

from qinglang.detect.content.classifier import ContentModel
from qinglang.detect.content.images import BANKS_DIR, ImageBanks
from qinglang.detect.content.pack import PolicyPack, load_default_pack, load_pack
from qinglang.detect.content.rumors import RUMOR_FILE
from qinglang.detect.content.screener import Screener

CONTENT_DIR = "content"
POLICY_NAMES = ("policy.yaml", "policy.toml")

_cache: dict[str, tuple[tuple, Screener]] = {}
_lock = threading.Lock()


def content_dir(home: Path) -> Path:
    return home / CONTENT_DIR


def model_dir(home: Path) -> Path:
    return home / "models" / "content"


def policy_path(home: Path) -> Path | None:
    for name in POLICY_NAMES:
        p = content_dir(home) / name
        if p.exists():
            return p
    return None


def load_policy(home: Path) -> PolicyPack:
    p = policy_path(home)
    return load_pack(p) if p is not None else load_default_pack()


def install_policy(home: Path, file: Path) -> PolicyPack:
    """Validate a pack and make it the workspace's (atomic; the other format's file is removed)."""
    pack = load_pack(file)
    from qinglang.detect.content.lexicon import compile_pack

    compile_pack(pack)  # terms that normalise to nothing etc. are refused before installing
    d = content_dir(home)
    d.mkdir(parents=True, exist_ok=True)
    name = "policy.toml" if file.suffix.lower() == ".toml" else "policy.yaml"
    tmp = d / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
    data = Path(file).read_bytes()
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, d / name)
    for other in POLICY_NAMES:
        if other != name:
            (d / other).unlink(missing_ok=True)
    return pack


def reset_policy(home: Path) -> None:
    for name in POLICY_NAMES:
        (content_dir(home) / name).unlink(missing_ok=True)


def _stamp(home: Path) -> tuple:
    paths = [policy_path(home), model_dir(home) / "model.pkl", content_dir(home) / RUMOR_FILE,
             content_dir(home) / BANKS_DIR / "banks.json"]
    st = []
    for p in paths:
        try:
            s = p.stat() if p is not None else None
            st.append((str(p), s.st_mtime_ns, s.st_size) if s else None)
        except FileNotFoundError:
            st.append(None)
    if (content_dir(home) / BANKS_DIR).exists():
        st.extend(sorted((f.name, f.stat().st_mtime_ns) for f in (content_dir(home) / BANKS_DIR).glob("*.csv")))
    return tuple(st)


def load_screener(home: Path, settings_section: dict | None = None, use_model: bool = True) -> Screener:
    """The workspace's screener (policy, model, rumour base, image banks), cached until they change."""
    home = Path(home)
    cfg = settings_section or {}
    key = f"{home}|{use_model}|{sorted(cfg.items())}"
    stamp = _stamp(home)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    pack = load_policy(home)
    model = ContentModel.load(model_dir(home)) if use_model else None
    banks = ImageBanks.load(content_dir(home)) if (content_dir(home) / BANKS_DIR).exists() else None
    rum = content_dir(home) if (content_dir(home) / RUMOR_FILE).exists() else None
    screener = Screener(pack, model, rum, banks, rumor_threshold=float(cfg.get("rumor_threshold", 0.6)))
    with _lock:
        _cache[key] = (stamp, screener)
    return screener

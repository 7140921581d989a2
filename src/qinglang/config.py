"""Settings of a workspace: defaults, overridden by `<home>/qinglang.toml`, env and CLI options.

The file is optional. Its sections are documented in docs/configuration.md;
sections a module does not know are left for the modules that do (each
detector reads its own section through `Settings.section(name)`).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qinglang.errors import QinglangError

DEFAULT_HOME = "qinglang-data"
CONFIG_FILE = "qinglang.toml"


@dataclass(frozen=True)
class TierConfig:
    """How accounts are tiered: relative to the platform (default) or by absolute thresholds."""

    mode: str = "relative"  # relative | absolute
    head_share: float = 0.005  # relative: top 0.5% by influence score are head accounts
    large_share: float = 0.045  # relative: the next 4.5% are large
    head_min_followers: int = 1_000_000  # absolute thresholds
    large_min_followers: int = 100_000

    def validate(self) -> "TierConfig":
        if self.mode not in ("relative", "absolute"):
            raise QinglangError(f"{CONFIG_FILE}: [tiers] mode must be 'relative' or 'absolute', not {self.mode!r}")
        if not (0 < self.head_share < 1 and 0 <= self.large_share < 1 and self.head_share + self.large_share < 1):
            raise QinglangError(f"{CONFIG_FILE}: [tiers] head_share and large_share must be fractions summing below 1")
        if self.large_min_followers > self.head_min_followers:
            raise QinglangError(f"{CONFIG_FILE}: [tiers] large_min_followers must not exceed head_min_followers")
        return self

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Settings:
    home: Path
    db_url: str | None = None  # None: SQLite file in the workspace
    tiers: TierConfig = field(default_factory=TierConfig)
    duckdb_memory_limit: str = "4GB"
    lang: str = "en"
    raw: dict[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> dict[str, Any]:
        value = self.raw.get(name, {})
        if not isinstance(value, dict):
            raise QinglangError(f"{CONFIG_FILE}: [{name}] must be a table")
        return value


def resolve_home(home: Path | str | None) -> Path:
    if home is None:
        home = os.environ.get("QINGLANG_HOME") or DEFAULT_HOME
    return Path(home).expanduser().absolute()


def detect_lang() -> str:
    value = os.environ.get("QINGLANG_LANG") or os.environ.get("LANG") or ""
    return "zh" if value.lower().startswith("zh") else "en"


def load_settings(home: Path | str | None = None, db_url: str | None = None) -> Settings:
    home_path = resolve_home(home)
    raw: dict[str, Any] = {}
    cfg = home_path / CONFIG_FILE
    if cfg.exists():
        try:
            raw = tomllib.loads(cfg.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise QinglangError(f"{cfg}: not valid TOML ({e})") from None
    tiers_raw = raw.get("tiers", {})
    known = set(TierConfig.__dataclass_fields__)
    unknown = set(tiers_raw) - known
    if unknown:
        raise QinglangError(f"{cfg}: [tiers] has unknown keys {sorted(unknown)}; known: {sorted(known)}")
    tiers = TierConfig(**tiers_raw).validate()
    db = db_url or os.environ.get("QINGLANG_DB") or raw.get("store", {}).get("url")
    engine_cfg = raw.get("engine", {})
    return Settings(
        home=home_path,
        db_url=db,
        tiers=tiers,
        duckdb_memory_limit=str(engine_cfg.get("duckdb_memory_limit", "4GB")),
        lang=str(raw.get("lang", detect_lang())),
        raw=raw,
    )

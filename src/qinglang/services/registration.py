"""The real-time registration check: does a new (or renamed) account continue a banned one?

    svc = RegistrationService(app)          # loads the banned registry once (builds it if needed)
    svc.check({"nickname": "...", "avatar_hash": "...", "identities": [{"kind": "phone", "value": "..."}]})
    -> {"decision": "pass" | "review" | "block", "ban_expired": bool,
        "matches": [{"banned_account_id", "score", "evidence"}]}

Raw identity values are hashed with the workspace key (as ingest hashes them) before anything else;
they are never stored. `block`: a certain match (>= [reincarnation] certain) whose ban still runs;
`review`: a match >= threshold whose ban still runs; `ban_expired`: the best match's ban has ended,
so the registration is allowed and reported as such.

The registry lives in <home>/reincarnation/registry/ (a versioned folder switched atomically); it is
rebuilt when the lake version or the set of bans changed (`refresh()`; the HTTP API calls it when a
ban lands). Every check and its decision is recorded through a `CheckRecorder`: the SQL store's
registration log when the workspace has a store, and an append-only JSON Lines file
<home>/reincarnation/checks.jsonl (one line per check, written with one O_APPEND write).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Protocol

import numpy as np
import pyarrow as pa

from qinglang.domain.vocab import IdentityKind
from qinglang.errors import QinglangError
from qinglang.lake.identity_hash import IdentityHasher

ID_KINDS = [k.value for k in IdentityKind]
_HEX = re.compile(r"^[0-9a-fA-F]{16}$|^[0-9a-fA-F]{64}$")
MAX_NICKNAME = 200
MAX_IDENTITIES = 50


# --- recording ---------------------------------------------------------------------------------
class CheckRecorder(Protocol):
    """Where checks and their decisions are recorded (never raw identity values)."""

    def record(self, summary: dict[str, Any], result: dict[str, Any]) -> None: ...


class JsonlCheckRecorder:
    """Append-only JSON Lines log; each check is one write() with O_APPEND (atomic per line)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._dir_made = False

    def record(self, summary: dict[str, Any], result: dict[str, Any]) -> None:
        if not self._dir_made:  # once, not on every check (the real-time path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._dir_made = True
        line = json.dumps({**summary, "decision": result["decision"], "ban_expired": result["ban_expired"],
                           "matches": [{"banned_account_id": m["banned_account_id"], "score": m["score"]}
                                       for m in result["matches"]]}, ensure_ascii=False, sort_keys=True) + "\n"
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        except FileNotFoundError:  # the folder was removed since: make it again
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)


class StoreCheckRecorder:
    """The SQL store's registration log (services.registrations), for the regulator reports."""

    def __init__(self, governance, source: str = "cli"):
        self.gov = governance
        self.source = source

    def record(self, summary: dict[str, Any], result: dict[str, Any]) -> None:
        from qinglang.services.registrations import record_check

        record_check(self.gov, result, nickname=summary.get("nickname"), source=summary.get("source", self.source),
                     actor=summary.get("actor"))


class Recorders:
    def __init__(self, *recorders: CheckRecorder):
        self.recorders = [r for r in recorders if r is not None]

    def record(self, summary: dict[str, Any], result: dict[str, Any]) -> None:
        for r in self.recorders:
            r.record(summary, result)


# --- request validation ------------------------------------------------------------------------
def parse_request(obj: Any, where: str = "request") -> tuple[str, str | None, list[tuple[str, str]], float | None,
                                                              str | None]:
    """Validate a check request; errors name the field to fix."""
    if not isinstance(obj, dict):
        raise QinglangError(f"{where}: expected a JSON object {{nickname, avatar_hash, identities}}")
    unknown = set(obj) - {"nickname", "avatar_hash", "identities", "at", "account_id"}
    if unknown:
        raise QinglangError(f"{where}: unknown field(s) {sorted(unknown)}; known: nickname, avatar_hash, identities, at")
    nick = obj.get("nickname")
    if not isinstance(nick, str) or not nick.strip():
        raise QinglangError(f"{where}: 'nickname' must be a non-empty string")
    if len(nick) > MAX_NICKNAME:
        raise QinglangError(f"{where}: 'nickname' is longer than {MAX_NICKNAME} characters")
    av = obj.get("avatar_hash")
    if av not in (None, ""):
        if not isinstance(av, str) or not _HEX.match(av.strip()):
            raise QinglangError(f"{where}: 'avatar_hash' must be 16 (pHash) or 64 (PDQ) hex digits, not {av!r}")
        av = av.strip().lower()
    else:
        av = None
    ids_raw = obj.get("identities") or []
    if not isinstance(ids_raw, list):
        raise QinglangError(f"{where}: 'identities' must be a list of {{kind, value}}")
    if len(ids_raw) > MAX_IDENTITIES:
        raise QinglangError(f"{where}: at most {MAX_IDENTITIES} identities per check")
    ids: list[tuple[str, str]] = []
    for n, item in enumerate(ids_raw):
        if not isinstance(item, dict) or set(item) - {"kind", "value"}:
            raise QinglangError(f"{where}: identities[{n}] must be an object {{kind, value}}")
        kind = item.get("kind")
        if kind not in ID_KINDS:
            raise QinglangError(f"{where}: identities[{n}].kind must be one of {', '.join(ID_KINDS)}, not {kind!r}")
        value = item.get("value")
        if not isinstance(value, (str, int)) or str(value).strip() == "":
            raise QinglangError(f"{where}: identities[{n}].value must be a non-empty string")
        ids.append((kind, str(value)))
    at = obj.get("at")
    at_epoch = None
    if at is not None:
        try:
            d = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
        except ValueError:
            raise QinglangError(f"{where}: 'at' must be an ISO 8601 timestamp, not {at!r}") from None
        if d.tzinfo is None:
            d = d.replace(tzinfo=timezone.utc)
        at_epoch = d.timestamp()
    account_id = obj.get("account_id")
    if account_id is not None and (not isinstance(account_id, str) or not account_id.strip()):
        raise QinglangError(f"{where}: 'account_id' (a renamed account) must be a non-empty string")
    return nick, av, ids, at_epoch, account_id


# --- the registry in a workspace ---------------------------------------------------------------
def registry_root(home: Path) -> Path:
    return Path(home) / "reincarnation" / "registry"


def bans_fingerprint(app) -> str:
    """Changes when the lake version or qinglang's own bans change."""
    h = hashlib.sha256()
    h.update((app.workspace.lake.current_name or "").encode())
    try:
        bans = app.detector_inputs().get("bans")
    except Exception:  # noqa: BLE001 - no store yet: only the lake's bans count
        bans = None
    if bans is not None and bans.num_rows:
        for row in sorted(map(repr, bans.to_pylist())):
            h.update(row.encode())
    return h.hexdigest()[:24]


@contextmanager
def _build_lock(home: Path) -> Iterator[None]:
    d = Path(home) / "reincarnation"
    d.mkdir(parents=True, exist_ok=True)
    with open(d / ".registry.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def build_registry(app, progress=None):
    """Build the banned registry from the lake and qinglang's own bans; save it atomically."""
    from qinglang.detect.reincarnation import config as C
    from qinglang.detect.reincarnation.linking import banned_set, link_accounts
    from qinglang.detect.reincarnation.load import read_tables
    from qinglang.detect.reincarnation.registry import Registry, TermFrequencies, save_atomic
    from qinglang.linkage.model import FSModel
    from qinglang.linkage.settings import LinkageSettings

    ws = app.workspace
    ws.require_lake()
    section = app.settings.section("reincarnation")
    fingerprint = bans_fingerprint(app)
    with _build_lock(ws.home):
        engine = app.engine()
        try:
            try:
                extra = app.detector_inputs().get("bans")
            except Exception:  # noqa: BLE001
                extra = None
            tables = read_tables(engine, extra, section)
        finally:
            engine.close()
        settings_d = C.settings_dict(section)
        meta = {"lake_version": ws.lake.current_name, "fingerprint": fingerprint,
                "comparisons": settings_d["comparisons"]}
        if tables is None:
            empty = banned_set(pa.table({"account_id": pa.array([], pa.string()), "action": pa.array([], pa.string()),
                                         "category": pa.array([], pa.string()),
                                         "decided_at": pa.array([], pa.timestamp("us", tz="UTC")),
                                         "until": pa.array([], pa.timestamp("us", tz="UTC"))}))
            empty = empty.append_column("nickname", pa.array([], pa.string()))
            reg = Registry.build(empty, pa.table({}), np.zeros(0, np.int64), [], [], np.zeros(0), TermFrequencies(),
                                 FSModel.initial(LinkageSettings.from_dict(settings_d)), section, meta)
        else:
            res = link_accounts(tables, section, profile_all=True, progress=progress)
            if res is None:
                raise QinglangError("the lake's bans name no known account; nothing to build a registry from")
            prof = res.profiles  # every account (profile_all)
            tf = TermFrequencies.from_profiles(prof)
            rows = res.banned_rows
            banned = res.banned.append_column("nickname", tables.accounts["nickname"].take(pa.array(rows)))
            bprof = prof.take(pa.array(rows))
            id_rows, id_kinds, id_vals, id_freq = [], [], [], []
            if res.ids is not None:
                ids = res.ids
                dict_vals = ids.dictionary.to_pylist()
                for r_new, r in enumerate(rows.tolist()):
                    a, b = ids.csr.indptr[r], ids.csr.indptr[r + 1]
                    for code, kbit in zip(ids.csr.values[a:b].tolist(), ids.csr.weights[a:b].tolist()):
                        kind, value = dict_vals[code].split("\x1f", 1)
                        id_rows.append(r_new)
                        id_kinds.append(kind)
                        id_vals.append(value)
                        # others than this banned account holding the value (a new registration is no account yet)
                        id_freq.append(max(float(ids.freq[code]) - 1.0 / max(ids.n_accounts, 1), 0.0))
            meta["fit"] = {"prior": res.linker.model.prior, "candidates": res.stats.get("candidates")}
            reg = Registry.build(banned, bprof, np.array(id_rows, np.int64), id_kinds, id_vals,
                                 np.array(id_freq), tf, res.linker.model, section, meta)
        save_atomic(reg, registry_root(ws.home))
    return reg


class RegistrationService:
    """Loads the registry once and answers checks in milliseconds; records every check."""

    def __init__(self, app, recorder: CheckRecorder | None = None, source: str = "cli", auto_build: bool = True):
        self.app = app
        self.source = source
        self.auto_build = auto_build
        self._registry = None
        self._hasher: IdentityHasher | None = None
        if recorder is None:
            recs: list[CheckRecorder] = [JsonlCheckRecorder(app.workspace.path("reincarnation", "checks.jsonl"))]
            try:
                recs.append(StoreCheckRecorder(app.governance, source))
            except Exception:  # noqa: BLE001 - a workspace without a store records to the file only
                pass
            recorder = Recorders(*recs)
        self.recorder = recorder

    @property
    def hasher(self) -> IdentityHasher:
        if self._hasher is None:
            self._hasher = IdentityHasher(self.app.workspace.existing_identity_key())
        return self._hasher

    @property
    def registry(self):
        if self._registry is None:
            self._registry = self._load(build_if_stale=self.auto_build)
        return self._registry

    def _load(self, build_if_stale: bool):
        from qinglang.detect.reincarnation.registry import Registry, current_folder

        folder = current_folder(registry_root(self.app.workspace.home))
        reg = None
        if folder is not None:
            try:
                reg = Registry.load(folder)
            except (OSError, ValueError, KeyError) as e:  # a registry of an older format: rebuild
                reg = None
                if not build_if_stale:
                    raise QinglangError(f"the banned registry in {folder} is unreadable ({e})") from None
        if build_if_stale and (reg is None or reg.meta.get("fingerprint") != bans_fingerprint(self.app)):
            reg = build_registry(self.app)
        if reg is None:
            raise QinglangError("no banned registry yet: run `qinglang scan --only reincarnation` or a check with building")
        return reg

    def refresh(self) -> bool:
        """Rebuild and reload the registry if the lake or the bans changed; True if it did."""
        if self._registry is not None and self._registry.meta.get("fingerprint") == bans_fingerprint(self.app):
            return False
        self._registry = self._load(build_if_stale=True)
        return True

    def check(self, request: Any, source: str | None = None, actor: str | None = None,
              record: bool = True) -> dict[str, Any]:
        nickname, avatar, identities, at, account_id = parse_request(request)
        hashed = [(k, self.hasher.hash(k, v)) for k, v in identities]
        registry = self.registry  # loaded (or built) once
        t0 = time.perf_counter()
        result = registry.check(nickname, avatar, hashed, at=at, exclude=account_id)
        if record:
            summary = {"at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "nickname": nickname,
                       "avatar": avatar is not None, "identity_kinds": sorted({k for k, _ in identities}),
                       "source": source or self.source, "actor": actor,
                       "ms": round((time.perf_counter() - t0) * 1000, 3)}
            self.recorder.record(summary, result)
        return result

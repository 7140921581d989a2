"""Load YAML (or TOML) into plain Python values that remember their line numbers,
so a policy-pack validator can say "file F, line N: what is wrong".
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml

from qinglang.errors import QinglangError


class PackError(QinglangError):
    """A problem in a policy-pack file, located by file and line, with the offending line shown."""

    def __init__(self, file: str, line: int | None, message: str, source: str | None = None):
        self.file = file
        self.line = line
        self.reason = message
        where = f"file {file}" + (f", line {line}" if line else "")
        text = f"{where}: {message}"
        if source is not None and line:
            lines = source.splitlines()
            if 0 < line <= len(lines):
                text += f"\n    {line} | {lines[line - 1].rstrip()}"
        super().__init__(text)


class LDict(dict):
    """A dict that knows the line of each key (1-based) and its own first line."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LList(list):
    line: int = 0
    item_lines: list

    def line_of(self, i: int) -> int:
        return self.item_lines[i] if i < len(self.item_lines) else self.line


class LStr(str):
    line: int = 0


def _convert(node: yaml.Node, file: str, source: str) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = LDict()
        out.line = line
        out.key_lines = {}
        for k_node, v_node in node.value:
            # keys are read as written (YAML 1.1 would turn `on:` or `yes:` into booleans)
            key = k_node.value if isinstance(k_node, yaml.ScalarNode) else _convert(k_node, file, source)
            if not isinstance(key, str):
                raise PackError(file, k_node.start_mark.line + 1, f"keys must be text, not {key!r}", source)
            if key in out:
                raise PackError(file, k_node.start_mark.line + 1, f"duplicate key {key!r}", source)
            out[str(key)] = _convert(v_node, file, source)
            out.key_lines[str(key)] = k_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        out = LList()
        out.line = line
        out.item_lines = []
        for item in node.value:
            out.append(_convert(item, file, source))
            out.item_lines.append(item.start_mark.line + 1)
        return out
    value = _scalar(node)
    if isinstance(value, str):
        s = LStr(value)
        s.line = line
        return s
    return value


_LOADER = None
# libyaml's composer when PyYAML has it (same nodes and line marks, about ten times faster)
_COMPOSE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _scalar(node: yaml.ScalarNode):
    global _LOADER
    if _LOADER is None:
        _LOADER = yaml.SafeLoader("")
    return _LOADER.construct_object(node, deep=True)


def _from_toml(value: Any, source_lines: list[str]) -> Any:
    """TOML has no positions: find the first line that mentions the key or value."""

    def find(token: str) -> int:
        for i, ln in enumerate(source_lines, 1):
            if token and token in ln:
                return i
        return 0

    if isinstance(value, dict):
        out = LDict()
        out.line = 0
        out.key_lines = {}
        for k, v in value.items():
            out[k] = _from_toml(v, source_lines)
            out.key_lines[k] = find(k)
        return out
    if isinstance(value, list):
        out = LList()
        out.line = 0
        out.item_lines = []
        for v in value:
            out.append(_from_toml(v, source_lines))
            out.item_lines.append(find(str(v)) if isinstance(v, str) else 0)
        return out
    if isinstance(value, str):
        s = LStr(value)
        s.line = find(value)
        return s
    return value


def load_file(path: Path) -> tuple[Any, str]:
    """Parse a YAML or TOML file; returns (value with lines, source text)."""
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise QinglangError(f"cannot read policy pack {file}: {e.strerror}") from None
    try:
        source = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PackError(file, raw[: e.start].count(b"\n") + 1, "not valid UTF-8 text") from None
    return loads(source, file, toml=path.suffix.lower() == ".toml"), source


def loads(source: str, file: str = "<policy>", toml: bool = False) -> Any:
    if toml:
        try:
            data = tomllib.loads(source)
        except tomllib.TOMLDecodeError as e:
            line = getattr(e, "lineno", None)
            raise PackError(file, line, f"not valid TOML ({e.args[0] if e.args else e})", source) from None
        return _from_toml(data, source.splitlines())
    try:
        node = yaml.compose(source, Loader=_COMPOSE_LOADER)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        raise PackError(file, line, f"not valid YAML ({e.problem or e.context})", source) from None
    except yaml.YAMLError as e:
        raise PackError(file, None, f"not valid YAML ({e})") from None
    if node is None:
        raise PackError(file, 1, "the file is empty")
    return _convert(node, file, source)

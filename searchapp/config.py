"""Configuration: one frozen :class:`Config` read from ``config.toml``.

A file that sets only ``[corpus] path`` and ``[index] path`` is valid; every
other key has a default. Relative paths resolve against the file's folder.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from searchapp.errors import ConfigError

ENV_VAR = "SEARCHAPP_CONFIG"
DEFAULT_FILE = "config.toml"


@dataclass(frozen=True)
class RankingConfig:
    """Weights of the ranking model; see config.toml for what each one does."""

    exact_weight: float = 1.0
    fold_weight: float = 1.0
    words_weight: float = 1.0
    title_repeat: int = 2
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    proximity_weight: float = 0.3
    proximity_slop: int = 6
    coverage_power: float = 1.0
    fold_words_weight: float = 0.5
    synonym_weight: float = 0.5


@dataclass(frozen=True)
class Config:
    """Every path and knob of searchapp."""

    corpus_path: Path
    index_path: Path
    host: str = "127.0.0.1"
    port: int = 5000
    # The site's public address ("https://tin.example.org/"), used for absolute links in feeds and
    # OpenSearch; None means the address the server itself listens on. Never the request's Host header.
    base_url: str | None = None
    # The production server's limits (waitress); config.toml says why each value.
    # Processes that answer requests; more than one runs them under gunicorn.
    workers: int = 1
    threads: int = 4
    connection_limit: int = 1000
    channel_timeout: int = 30
    cleanup_interval: int = 5
    per_page: int = 10
    max_per_page: int = 100
    snippet_chars: int = 240
    index_workers: int = 0
    lock_timeout: float = 30.0
    max_file_mb: float = 128.0
    ranking: RankingConfig = field(default_factory=RankingConfig)
    source_file: Path | None = None

    def with_paths(self, corpus: Path | None = None, index: Path | None = None) -> Config:
        """A copy with other corpus/index folders (used by tests and benchmarks)."""
        return replace(
            self,
            corpus_path=Path(corpus) if corpus else self.corpus_path,
            index_path=Path(index) if index else self.index_path,
        )


# (section, key) -> (attribute, type). The TOML layout is the public format.
_KEYS: dict[tuple[str, str], tuple[str, type]] = {
    ("corpus", "path"): ("corpus_path", Path),
    ("corpus", "max_file_mb"): ("max_file_mb", float),
    ("index", "path"): ("index_path", Path),
    ("index", "workers"): ("index_workers", int),
    ("index", "lock_timeout"): ("lock_timeout", float),
    ("server", "host"): ("host", str),
    ("server", "port"): ("port", int),
    ("server", "base_url"): ("base_url", str),
    ("server", "workers"): ("workers", int),
    ("server", "threads"): ("threads", int),
    ("server", "connection_limit"): ("connection_limit", int),
    ("server", "channel_timeout"): ("channel_timeout", int),
    ("server", "cleanup_interval"): ("cleanup_interval", int),
    ("search", "per_page"): ("per_page", int),
    ("search", "max_per_page"): ("max_per_page", int),
    ("search", "snippet_chars"): ("snippet_chars", int),
}
_RANKING_TYPES = {f.name: type(f.default) for f in fields(RankingConfig)}


def default_config_path() -> Path:
    """``$SEARCHAPP_CONFIG`` if set, else ``config.toml`` in the working folder."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_FILE)


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate a config file.

    :param path: the TOML file; ``None`` means :func:`default_config_path`.
    :raises ConfigError: one line naming the key and the fix.
    """
    path = Path(path) if path else default_config_path()
    if not path.is_file():
        raise ConfigError(f"config file {path} not found: pass --config PATH or set {ENV_VAR}")
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the syntax") from exc
    return config_from_dict(data, base=path.resolve().parent, source_file=path)


def config_from_dict(data: dict[str, Any], base: Path, source_file: Path | None = None) -> Config:
    """Build a :class:`Config` from parsed TOML, resolving paths against ``base``."""
    values: dict[str, Any] = {}
    for section, table in data.items():
        if section == "ranking":
            continue
        if not isinstance(table, dict):
            raise ConfigError(f"[{section}] must be a table of keys, not a value")
        for key, raw in table.items():
            if (section, key) not in _KEYS:
                raise ConfigError(f"unknown key {section}.{key}: remove it or check its spelling")
            attr, kind = _KEYS[(section, key)]
            values[attr] = _coerce(f"{section}.{key}", raw, kind, base)
    for required in ("corpus_path", "index_path"):
        if required not in values:
            section = required.split("_")[0]
            raise ConfigError(f'missing key {section}.path: add [{section}] path = "..."')
    values["ranking"] = _ranking(data.get("ranking", {}))
    if "base_url" in values:
        values["base_url"] = _base_url(values["base_url"])
    _check_ranges(values)
    return Config(source_file=source_file, **values)


def _coerce(name: str, raw: Any, kind: type, base: Path) -> Any:
    if kind is Path:
        if not isinstance(raw, str) or not raw:
            raise ConfigError(f"{name} must be a non-empty string path")
        path = Path(raw).expanduser()
        return path if path.is_absolute() else (base / path).resolve()
    if kind is float and isinstance(raw, int) and not isinstance(raw, bool):
        return float(raw)
    if not isinstance(raw, kind) or isinstance(raw, bool) and kind is not bool:
        raise ConfigError(f"{name} must be of type {kind.__name__}, got {raw!r}")
    return raw


def _ranking(table: Any) -> RankingConfig:
    if not isinstance(table, dict):
        raise ConfigError("[ranking] must be a table of keys")
    values = {}
    for key, raw in table.items():
        if key not in _RANKING_TYPES:
            raise ConfigError(f"unknown key ranking.{key}: remove it or check its spelling")
        values[key] = _coerce(f"ranking.{key}", raw, _RANKING_TYPES[key], Path("."))
        if values[key] < 0:
            raise ConfigError(f"ranking.{key} must be >= 0, got {raw!r}")
    return RankingConfig(**values)


def _check_ranges(values: dict[str, Any]) -> None:
    port = values.get("port", 5000)
    if not 0 < port < 65536:
        raise ConfigError(f"server.port must be between 1 and 65535, got {port}")
    if values.get("max_file_mb", 1.0) <= 0:
        raise ConfigError("corpus.max_file_mb must be more than 0")
    for key in ("workers", "threads", "connection_limit", "channel_timeout", "cleanup_interval"):
        if values.get(key, 1) < 1:
            raise ConfigError(f"server.{key} must be at least 1")
    for key in ("per_page", "max_per_page", "snippet_chars"):
        if values.get(key, 1) < 1:
            raise ConfigError(f"search.{key} must be at least 1")


def _base_url(raw: str) -> str:
    """``server.base_url`` checked and ending in "/" (links are this plus the page's path)."""
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"server.base_url must be an http:// or https:// address of the site, got {raw!r}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/", "", ""))

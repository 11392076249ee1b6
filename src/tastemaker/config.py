"""One typed settings table; precedence is flag > env ``TASTEMAKER_*`` > ``tastemaker.toml`` > default.

Every setting is documented in ``docs/configuration.md`` (a test keeps the two in step) and
``tastemaker settings`` prints each effective value with where it came from.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tastemaker.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    secret: bool = False

    @property
    def type(self) -> type:
        return type(self.default)

    @property
    def env_var(self) -> str:
        return f"TASTEMAKER_{self.name.upper()}"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "data_dir", "./tastemaker-data", "Folder for the embedded databases; {data_dir} in URLs expands to it"
    ),
    Setting("event_log_url", "sqlite:///{data_dir}/events.db", "Where events are appended: sqlite://"),
    Setting("store_url", "sqlite:///{data_dir}/store.db", "Catalog, listens, profiles, playlists: sqlite://"),
    Setting("archive_url", "{data_dir}/archive", "Parquet archive of all events (Sort-Merge-Bucket layout)"),
    Setting(
        "migration_state",
        "{data_dir}/migration.json",
        "State file of a store migration (tastemaker migrate); every process must see the same file",
    ),
    Setting(
        "archive_buckets", 16, "Buckets per day of the archive (a power of two; ~1-2 M events a year each)"
    ),
    Setting("archive_compact_runs", 32, "Staged runs of one day the archiver lets gather before compacting"),
    Setting(
        "archive_shard_rows",
        32_768,
        "Rows a day's bucket file takes before a busy day goes on in a new shard (bounds compaction time)",
    ),
    Setting("host", "127.0.0.1", "Address tastemaker serve listens on"),
    Setting("port", 8000, "Port tastemaker serve listens on"),
    Setting("partitions", 8, "Partitions of the event log (fixed when the log is created)"),
    Setting(
        "log_synchronous", "FULL", "SQLite log fsync policy: FULL survives power loss, NORMAL a process crash"
    ),
    Setting("log_retention_hours", 0.0, "Delete log events older than this many hours (0 keeps all)"),
    Setting("log_retention_bytes", 0, "Delete the oldest log events beyond this many bytes (0 keeps all)"),
    Setting("max_batch_events", 1000, "Most events accepted in one POST /v1/events"),
    Setting("max_body_bytes", 16 * 1024 * 1024, "Largest request body accepted, in bytes"),
    Setting(
        "request_timeout_s",
        120.0,
        "Reads answered 503 if not started within this many seconds; writes if their body is slower (0: off)",
    ),
    Setting(
        "ingest_max_lag_events",
        10_000_000,
        "Ingest answers 503 + Retry-After while the slowest consumer lags more events than this (0: off)",
    ),
    Setting(
        "ingest_max_log_bytes",
        0,
        "Ingest answers 503 + Retry-After while the SQLite log's files exceed this many bytes (0: off)",
    ),
    Setting("rate_limit_per_minute", 0, "API requests per minute per token (per IP without one); 0: off"),
    Setting(
        "rate_limit_burst", 0, "Requests a token may make at once (its bucket's size); 0: a minute's worth"
    ),
    Setting("future_tolerance_s", 3600, "How far in the future an event's ts may be, in seconds"),
    Setting("consumer_batch_size", 20000, "Most events a consumer takes from the log per poll"),
    Setting("consumer_idle_ms", 5, "How long an idle consumer waits before polling again, in ms"),
    Setting("consumer_max_retries", 3, "Tries of a failing event before it is dead-lettered (0: never)"),
    Setting("short_half_life_days", 7.0, "Half-life of the short-term Taste Profile affinities, in days"),
    Setting("long_half_life_days", 180.0, "Half-life of the long-term Taste Profile affinities, in days"),
    Setting("profile_top_k", 200, "Most tracks/artists/genres kept per affinity table in a profile"),
    Setting("audio_max_duration_s", 1800.0, "Longest audio file analysed, in seconds"),
    Setting("scan_jobs", 0, "Audio analysis processes of scan and the catalog consumer (0 = one per core)"),
    Setting(
        "lastfm_api_key",
        "407358be27fc2c174dd1768baf10d217",
        "api_key Last.fm-compatible clients must send to /2.0/ (any value you give your clients)",
    ),
    Setting(
        "lastfm_shared_secret",
        "e53bbee8ddb03bc77d90f49d21102039",
        "Shared secret of /2.0/ request signatures (api_sig); public in clients, not a password",
    ),
    Setting(
        "nlp_precision", "int8", "Text model precision: int8 (quantized, ~2x faster) or fp32 (as shipped)"
    ),
    Setting(
        "llm_url",
        "",
        "OpenAI-compatible endpoint of the optional llm labeler of tastemaker annotate (off: empty)",
    ),
    Setting("llm_model", "", "Model name the llm labeler asks the endpoint for"),
    Setting("llm_api_key", "", "API key sent to the llm endpoint as a Bearer token", secret=True),
    Setting("llm_timeout_s", 20.0, "Seconds the llm labeler waits for one answer before skipping the track"),
    Setting("admin_token", "", "A bootstrap admin token accepted besides the stored ones", secret=True),
    Setting(
        "demo_mode",
        False,
        "Serve /v1/demo: list simulated listeners and hand out their tokens to anyone (tastemaker demo)",
    ),
    Setting(
        "stream_secret",
        "",
        "HMAC key of signed stream URLs (empty: generated once into {data_dir}/stream-secret)",
        secret=True,
    ),
)
BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Resolved:
    value: Any
    source: str


def _coerce(setting: Setting, raw: Any, source: str) -> Any:
    target = setting.type
    if isinstance(raw, target) and not (target is int and isinstance(raw, bool)):
        return raw
    try:
        if target is bool:
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(text)
        return target(raw)
    except (TypeError, ValueError):
        msg = f"{setting.name} from {source}: {raw!r} is not a valid {target.__name__}"
        raise ConfigError(msg) from None


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"{path}: not valid TOML ({exc})"
        raise ConfigError(msg) from exc
    unknown = sorted(set(data) - set(BY_NAME))
    if unknown:
        msg = f"{path}: unknown setting(s) {', '.join(unknown)}; see `tastemaker settings`"
        raise ConfigError(msg)
    return data


class Config:
    """Effective settings with their provenance; read-only once built."""

    def __init__(self, resolved: Mapping[str, Resolved]) -> None:
        self._resolved = dict(resolved)

    @classmethod
    def load(
        cls,
        flags: Mapping[str, Any] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        toml_path: Path | None = None,
    ) -> Config:
        env = os.environ if env is None else env
        toml_path = toml_path or Path(env.get("TASTEMAKER_CONFIG", "tastemaker.toml"))
        file_values = _read_toml(toml_path)
        flags = {k: v for k, v in (flags or {}).items() if v is not None}
        unknown = sorted(set(flags) - set(BY_NAME))
        if unknown:
            msg = f"unknown setting(s) {', '.join(unknown)}"
            raise ConfigError(msg)
        resolved: dict[str, Resolved] = {}
        for setting in SETTINGS:
            if setting.name in flags:
                raw, source = flags[setting.name], "flag"
            elif setting.env_var in env:
                raw, source = env[setting.env_var], f"env {setting.env_var}"
            elif setting.name in file_values:
                raw, source = file_values[setting.name], f"file {toml_path}"
            else:
                raw, source = setting.default, "default"
            resolved[setting.name] = Resolved(_coerce(setting, raw, source), source)
        return cls(resolved)

    def __getitem__(self, name: str) -> Any:
        value = self._resolved[name].value
        if isinstance(value, str) and "{data_dir}" in value:
            return value.replace("{data_dir}", str(self.data_dir))
        return value

    @property
    def data_dir(self) -> Path:
        return Path(self._resolved["data_dir"].value)

    def source(self, name: str) -> str:
        return self._resolved[name].source

    def shown(self, name: str) -> str:
        """The value as printed for people: secrets masked."""
        value = self[name]
        if BY_NAME[name].secret and value:
            return "********"
        return str(value)

    def with_overrides(self, **values: Any) -> Config:
        resolved = dict(self._resolved)
        for name, value in values.items():
            resolved[name] = Resolved(_coerce(BY_NAME[name], value, "override"), "override")
        return Config(resolved)

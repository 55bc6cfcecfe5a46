"""All configuration in one place: `NEWSBOT_*` environment variables, overridden by CLI flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from newsbot.feeds.schedule import parse_interval
from newsbot.index.backends import AUTO, BACKENDS
from newsbot.index.chunking import ChunkingConfig
from newsbot.index.embedding import BATCH_SIZE
from newsbot.index.ingest import COMMIT_PASSAGES, POOLED, SENTENCE_VECTORS
from newsbot.web.addresses import parse_networks

ENV_PREFIX = "NEWSBOT_"
POSITIVE = ("batch_size", "commit_passages", "history_turns", "questions_per_minute", "answer_threads", "concurrent_updates",
            "upload_max_bytes")


def default_cache_dir(env: Mapping[str, str]) -> Path:
    """Where ONNX exports of the model and backend checks are kept: `$XDG_CACHE_HOME/newsbot`."""
    return Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsbot"


class SettingsError(ValueError):
    """A configuration value is not acceptable."""


@dataclass(frozen=True)
class Settings:
    """Built once at the edge (CLI or bot start) and passed in; nothing else reads the environment."""

    index_dir: Path = Path("newsbot-index")
    model: str | None = None
    backend: str = AUTO
    cache_dir: Path = field(default_factory=lambda: default_cache_dir(os.environ))
    passage_words: int = ChunkingConfig.max_words
    overlap_words: int = ChunkingConfig.overlap_words
    paragraph_words: int = ChunkingConfig.paragraph_words
    batch_size: int = BATCH_SIZE
    commit_passages: int = COMMIT_PASSAGES
    sentence_vectors: str = POOLED
    log_level: str = "WARNING"
    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_file_url: str = "https://api.telegram.org/file/bot"
    admin_ids: tuple[int, ...] = ()
    allowed_ids: tuple[int, ...] = ()
    questions_per_minute: int = 10
    answer_threads: int = 2
    concurrent_updates: int = 8
    upload_max_bytes: int = 5 * 1024 * 1024
    history_turns: int = 4
    fetch_allow_networks: tuple[str, ...] = ()
    feed_interval: str = "30m"
    fetch_pace_ms: int = 1000

    def __post_init__(self) -> None:
        for name in POSITIVE:
            if getattr(self, name) < 1:
                raise SettingsError(f"{ENV_PREFIX}{name.upper()} must be at least 1, not {getattr(self, name)}")
        if self.fetch_pace_ms < 0:
            raise SettingsError(f"{ENV_PREFIX}FETCH_PACE_MS must be 0 or more, not {self.fetch_pace_ms}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then `NEWSBOT_<FIELD>` variables, then the non-None `overrides`."""
        env = os.environ if env is None else env
        values: dict[str, object] = {"cache_dir": default_cache_dir(env)}
        for spec in fields(cls):
            name = spec.name.upper() if spec.name == "telegram_bot_token" else ENV_PREFIX + spec.name.upper()
            raw = env.get(name)
            if raw is not None and raw.strip():
                values[spec.name] = _convert(name, raw.strip(), spec.type)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.chunking()
        if settings.backend not in (AUTO, *BACKENDS):
            raise SettingsError(f"{ENV_PREFIX}BACKEND must be one of {', '.join((AUTO, *BACKENDS))}, "
                                f"not {settings.backend!r}")
        if settings.sentence_vectors not in SENTENCE_VECTORS:
            raise SettingsError(f"{ENV_PREFIX}SENTENCE_VECTORS must be one of {', '.join(SENTENCE_VECTORS)}, "
                                f"not {settings.sentence_vectors!r}")
        try:
            parse_networks(settings.fetch_allow_networks)
        except ValueError as exc:
            raise SettingsError(f"{ENV_PREFIX}FETCH_ALLOW_NETWORKS: {exc}") from None
        try:
            parse_interval(settings.feed_interval)
        except ValueError as exc:
            raise SettingsError(f"{ENV_PREFIX}FEED_INTERVAL: {exc}") from None
        return settings

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)

    def chunking(self) -> ChunkingConfig:
        try:
            return ChunkingConfig(self.passage_words, self.overlap_words, self.paragraph_words)
        except ValueError as exc:
            raise SettingsError(str(exc)) from None


def _convert(name: str, raw: str, kind: object) -> object:
    kind = str(kind)
    if kind == "tuple[str, ...]":
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    try:
        if kind.startswith("tuple"):
            return tuple(int(part) for part in raw.replace(" ", ",").split(",") if part)
        if kind == "int":
            return int(raw)
    except ValueError:
        what = "ids separated by commas" if kind.startswith("tuple") else "a whole number"
        raise SettingsError(f"{name} must be {what}, not {raw!r}") from None
    if "Path" in kind:
        return Path(raw).expanduser()
    return raw

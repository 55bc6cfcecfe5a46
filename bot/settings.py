"""All configuration in one place: `NEWSBOT_*` environment variables, overridden by CLI flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from index.chunking import ChunkingConfig

ENV_PREFIX = "NEWSBOT_"


class SettingsError(ValueError):
    """A configuration value is not acceptable."""


@dataclass(frozen=True)
class Settings:
    """Built once at the edge (CLI or bot start) and passed in; nothing else reads the environment."""

    index_dir: Path = Path("newsbot-index")
    model: str | None = None
    passage_words: int = ChunkingConfig.max_words
    overlap_words: int = ChunkingConfig.overlap_words
    paragraph_words: int = ChunkingConfig.paragraph_words
    batch_size: int = 16
    log_level: str = "WARNING"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then `NEWSBOT_<FIELD>` variables, then the non-None `overrides`."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for field in fields(cls):
            raw = env.get(ENV_PREFIX + field.name.upper())
            if raw is not None and raw.strip():
                values[field.name] = _convert(field.name, raw.strip(), field.type)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.chunking()
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
    if "int" in kind:
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{ENV_PREFIX}{name.upper()} must be a whole number, not {raw!r}") from None
    if "Path" in kind:
        return Path(raw).expanduser()
    return raw

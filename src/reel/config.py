"""Settings in one typed place: command-line options override the environment, which
overrides the defaults. Everything that reaches a server or a file starts from here."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

APP_NAME = "reel"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    """Where Reel keeps its data and which services it talks to."""

    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)))
    database_url: str | None = None
    user: str | None = None
    debug: bool = False
    tmdb_api_key: str | None = None
    tmdb_api_url: str = "https://api.themoviedb.org/3"
    tmdb_image_url: str = "https://image.tmdb.org/t/p"
    plex_tv_url: str = "https://plex.tv"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Read `REEL_*` variables, then apply non-None overrides (from the command line)."""
        base = cls()
        values: dict[str, object] = {
            "data_dir": Path(_env("REEL_DATA_DIR") or base.data_dir),
            "database_url": _env("REEL_DATABASE_URL"),
            "user": _env("REEL_USER"),
            "tmdb_api_key": _env("REEL_TMDB_API_KEY"),
            "tmdb_api_url": _env("REEL_TMDB_API_URL", base.tmdb_api_url),
            "tmdb_image_url": _env("REEL_TMDB_IMAGE_URL", base.tmdb_image_url),
            "plex_tv_url": _env("REEL_PLEX_TV_URL", base.plex_tv_url),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        if isinstance(values["data_dir"], str):
            values["data_dir"] = Path(values["data_dir"])
        return replace(base, **values)  # type: ignore[arg-type]

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or SQLite in the data dir."""
        return self.database_url or f"sqlite:///{self.data_dir / 'reel.db'}"

    @property
    def assets_dir(self) -> Path:
        return self.data_dir / "assets"

    @property
    def key_file(self) -> Path:
        return self.data_dir / "secret.key"

"""searchapp: full-text search over Vietnamese diplomatic news."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from searchapp.config import Config


def create_app(config: Config | None = None, serving: bool = False) -> Flask:
    """The Flask application; reads ``config.toml`` when no config is given.
    ``serving``: for a long-running server (a new index is warmed in the background)."""
    from searchapp.web.app import create_app as build

    return build(config, serving=serving)

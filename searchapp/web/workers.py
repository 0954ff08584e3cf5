"""Several server processes over one index, under gunicorn.

A search is CPU work in Python, and one process runs Python on one core at a
time: a second core only helps a second process. gunicorn starts the
processes, restarts one that dies, and shares the listening socket.

The application is built and warmed once, before the socket is bound and the
workers are forked (``preload_app``): the pyvi model, the name tables and the
open index generation are then shared copy-on-write, and every worker
answers its first request warm. Sharing the open index across ``fork`` is
safe because its files are read through memory maps with positions kept in
each process (see ``viewfile``), never through a shared file offset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

from searchapp.config import Config


class _Server(BaseApplication):
    def __init__(self, app, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._app


def options(config: Config, host: str, port: int, workers: int, threads: int, ready: Callable[[], None]) -> dict:
    """gunicorn's settings for ``serve``: the same limits as the one-process server."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        # Open connections per worker, idle or not (waitress's connection_limit).
        "worker_connections": config.connection_limit,
        # An idle kept-alive connection is closed after this many seconds.
        "keepalive": min(config.channel_timeout, 30),
        # A worker that stops answering its master for this long is replaced;
        # a search holds its thread for about a second at most.
        "timeout": 60,
        "graceful_timeout": 10,
        "preload_app": True,
        "proc_name": "searchapp",
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "when_ready": lambda _arbiter: ready(),
    }


def own_address(app, host: str, port: int) -> None:
    """Make ``app`` see the address it listens on as its own.

    gunicorn fills the environ's SERVER_NAME from the request's Host header,
    which anyone can forge; the feeds and OpenSearch links are built from it
    (``web.absolute_url``), so it is set here from the bound address, as
    waitress does.
    """
    inner = app.wsgi_app

    def with_own_address(environ, start_response):
        environ["SERVER_NAME"] = host
        environ["SERVER_PORT"] = str(port)
        return inner(environ, start_response)

    app.wsgi_app = with_own_address


def serve(app, settings: dict[str, Any]) -> None:
    """Run ``app`` under gunicorn with :func:`options` until interrupted."""
    _Server(app, settings).run()

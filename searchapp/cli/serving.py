"""``serve``: the search page and the JSON API, by waitress (one process), gunicorn
(several) or Flask's debugger, with the limits of ``[server]``."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import socket

import click

from searchapp.cli.shared import Context

# Bytes of request body the production server accepts (the app itself takes none).
MAX_REQUEST_BODY = 64 * 1024


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command()
@click.option("--host", help="Address to listen on (default from config: 127.0.0.1).")
@click.option("--port", type=int, help="Port (default from config: 5000).")
@click.option("--debug", is_flag=True, help="Flask's development server with the debugger. Never in production.")
@click.option("--allow-remote", is_flag=True, help="Allow listening on a non-loopback address.")
@click.option("--threads", type=click.IntRange(min=1), help="Worker threads of the server (default from config: 4).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Server processes (default from config: 1); one per CPU core uses every core.",
)
@click.pass_obj
def serve(obj: Context, host, port, debug, allow_remote, threads, workers) -> None:
    """Serve the search page and the JSON API."""
    from searchapp import create_app
    from searchapp.web.app import warm
    from searchapp.web.malloc import limit_arenas

    config = obj.config
    host = host or config.host
    port = port or config.port
    if debug and not _is_loopback(host):
        # The debugger runs any code typed into an error page: never off this machine.
        raise click.ClickException(f"refusing to run the debugger on {host}: --debug is for 127.0.0.1 only.")
    if not _is_loopback(host) and not allow_remote:
        raise click.ClickException(
            f"refusing to listen on {host}: the page would be reachable from other machines. "
            "Add --allow-remote to do so."
        )
    # Before any request thread exists: threads share the arenas from the start.
    limit_arenas()
    app = create_app(config, serving=True)
    # A busy port is told at once, not after the warm-up.
    _check_port_free(host, port)
    # Warm before listening: the first user gets a warm answer, not seconds of loading.
    warm(app)
    if debug:
        click.echo(f"Serving searchapp on http://{host}:{port}/ (Ctrl+C to stop)")
        app.run(host=host, port=port, debug=True, use_reloader=False)
        return
    workers = workers or config.workers
    if workers > 1:
        _serve_workers(app, config, host, port, workers, threads or config.threads)
        return
    import waitress

    def listening_server(app, **kwargs):
        # Bind first, then announce: a busy port is one line, not a banner and a traceback.
        try:
            server = waitress.create_server(app, **kwargs)
        except OSError as exc:
            raise _listen_error(exc, host, port) from None
        click.echo(f"Serving searchapp on http://{host}:{port}/ (Ctrl+C to stop)")
        return server

    settings = server_settings(config, threads)
    _fit_open_files(settings["connection_limit"])
    waitress.serve(
        app,
        host=host,
        port=port,
        **settings,
        ident="searchapp",
        # What the app's absolute links (feeds, OpenSearch) name when no base_url is configured.
        server_name=host,
        # Nothing we serve takes a body: refuse big ones before they are buffered.
        max_request_body_size=MAX_REQUEST_BODY,
        # waitress.serve's own hook for making the server; it then runs it.
        _server=listening_server,
        _quiet=True,
    )


def _serve_workers(app, config, host: str, port: int, workers: int, threads: int) -> None:
    from searchapp.web import workers as gunicorn_workers

    def ready() -> None:
        click.echo(f"Serving searchapp on http://{host}:{port}/ with {workers} processes (Ctrl+C to stop)")

    gunicorn_workers.own_address(app, host, port)
    _fit_open_files(config.connection_limit * workers)
    gunicorn_workers.serve(app, gunicorn_workers.options(config, host, port, workers, threads, ready))


def server_settings(config, threads: int | None = None) -> dict:
    """The waitress limits of ``serve``, from ``[server]`` in the config.

    waitress's own defaults let 100 connections in (idle ones count) and close
    an idle one only after 120 s, checked every 30 s: 101 idle sockets kept
    everyone else out for minutes. Here the limit is ten times higher and an
    idle connection goes after ``channel_timeout`` seconds.
    """
    return {
        "threads": threads or config.threads,
        "connection_limit": config.connection_limit,
        "channel_timeout": config.channel_timeout,
        "cleanup_interval": config.cleanup_interval,
        # select() cannot watch a descriptor above 1023; poll() has no such limit.
        "asyncore_use_poll": True,
    }


# Descriptors beyond the connections: index files, the listening socket, logs.
SPARE_FILES = 256


def _fit_open_files(connections: int) -> None:
    """Raise the soft open-file limit so that ``connections`` sockets fit, up to the hard limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + SPARE_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        if new < wanted:
            click.echo(
                f"warning: only {new} open files allowed; fewer than {connections} connections will fit "
                "(lower server.connection_limit or raise `ulimit -n`)",
                err=True,
            )


def _listen_error(exc: OSError, host: str, port: int) -> click.ClickException:
    """One line for a socket that cannot listen, naming the fix."""
    if exc.errno == errno.EADDRINUSE:
        return click.ClickException(f"port {port} is in use; choose another with --port")
    if exc.errno == errno.EACCES:
        return click.ClickException(f"no permission to listen on port {port}; choose one above 1023 with --port")
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return click.ClickException(f"cannot listen on {host}: not an address of this machine; check --host")
    return click.ClickException(f"cannot listen on {host}:{port} ({exc.strerror or exc})")


def _check_port_free(host: str, port: int) -> None:
    """Tell of a busy port before loading anything (Flask's development server
    would report it with its own traceback)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        raise _listen_error(exc, host, port) from None

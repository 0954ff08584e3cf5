"""The ``searchapp`` command line: reindex, add, search, stats, check, serve."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import json
import socket
import sys
from collections.abc import Callable, Iterator

import click

from searchapp import progress
from searchapp.config import ENV_VAR, Config, load_config
from searchapp.errors import SearchappError


class _Context:
    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = load_config(self.config_path)
            except SearchappError as exc:
                raise click.ClickException(str(exc)) from None
        return self._config


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    envvar=ENV_VAR,
    type=click.Path(dir_okay=False),
    help=f"Configuration file (default: config.toml here, or ${ENV_VAR}).",
)
@click.version_option(package_name="searchapp")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Full-text search over Vietnamese diplomatic news."""
    ctx.obj = _Context(config_path)


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@contextlib.contextmanager
def _progress() -> Iterator[progress.Progress]:
    """Bars on a terminal, nothing otherwise: a log gets the summary line alone."""
    shown = progress.for_terminal(sys.stderr)
    try:
        yield shown
    finally:
        shown.close()


def _echo_above(shown: progress.Progress, echo: Callable[..., None]) -> Callable[..., None]:
    """``echo`` that prints above the progress bar instead of through it."""

    def printed(*args, **kwargs) -> None:
        with shown.printing():
            echo(*args, **kwargs)

    return printed


def _print_report(report, strict: bool) -> None:
    for error in report.failed:
        click.echo(f"error: {error}", err=True)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    kind = "Full rebuild" if report.full else "Reindex"
    click.echo(f"{kind}: {report.summary()}")
    if strict and report.failed:
        raise SystemExit(1)


@cli.command()
@click.option("--full", is_flag=True, help="Rebuild the whole index aside and swap it in.")
@click.option("--strict", is_flag=True, help="Exit with status 1 if any article failed.")
@click.pass_obj
def reindex(obj: _Context, full: bool, strict: bool) -> None:
    """Index new, changed and deleted articles of the corpus folder."""
    from searchapp.index.reindex import reindex as run_reindex

    config = obj.config
    if not config.corpus_path.is_dir():
        raise click.ClickException(f"corpus folder {config.corpus_path} does not exist; create it or fix [corpus] path")
    with _progress() as shown:
        on_wait = _echo_above(shown, lambda message: click.echo(message, err=True))
        try:
            report = run_reindex(config, full=full, progress=shown, on_wait=on_wait)
        except SearchappError as exc:
            raise _fail(exc) from None
    _print_report(report, strict)


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.pass_obj
def add(obj: _Context, sources: tuple[str, ...]) -> None:
    """Add article files, saved HTML pages or web page URLs to the corpus and index them.

    Article files (.txt, .md, .json, .jsonl, .jsonl.gz) are copied into the
    corpus folder. An http(s):// URL is downloaded and a .html/.htm file read;
    the article's text, title, date and outlet are extracted and saved under
    web/<year>/ in the corpus. Adding the same URL again updates its article.
    Exit status 1 if any argument failed; the others are still added.
    """
    from searchapp.ingest.pages import add_sources

    with _progress() as shown:
        try:
            result = add_sources(obj.config, sources, progress=shown, on_outcome=_echo_above(shown, _print_outcome))
        except SearchappError as exc:
            raise _fail(exc) from None
    _finish_ingest(result, f"{len(result.failed)} of {len(sources)} failed")


def _print_outcome(outcome) -> None:
    if outcome.failed:
        click.echo(f"error: {outcome.source}: {outcome.error}", err=True)
    elif outcome.status == "copied":
        click.echo(f"added {outcome.path}")
    elif outcome.status == "present":
        click.echo(f"already in the corpus: {outcome.path}")
    elif outcome.status != "skipped":
        click.echo(f"{outcome.status} {outcome.path} ({outcome.title}) from {outcome.source}")


def _finish_ingest(result, failure_line: str) -> None:
    if result.report is not None:
        _print_report(result.report, strict=False)
    if result.failed:
        click.echo(failure_line, err=True)
        raise SystemExit(1)


@cli.command("fetch-feed")
@click.argument("feed_url")
@click.option("--limit", type=click.IntRange(min=0), help="Fetch at most N new items (the rest wait for the next run).")
@click.option(
    "--delay", type=click.FloatRange(min=0), default=1.0, show_default=True, help="Seconds to wait between requests."
)
@click.pass_obj
def fetch_feed(obj: _Context, feed_url: str, limit: int | None, delay: float) -> None:
    """Fetch the pages of an RSS/Atom feed's new items, save their articles and index them.

    Items already fetched (remembered in feeds.json in the index folder) are
    skipped. A page without extractable text is saved with the item's summary.
    """
    from searchapp.ingest.feeds import fetch_feed as run_fetch_feed

    with _progress() as shown:
        on_outcome = _echo_above(shown, _print_outcome)
        try:
            result = run_fetch_feed(
                obj.config, feed_url, limit=limit, delay=delay, progress=shown, on_outcome=on_outcome
            )
        except SearchappError as exc:
            raise _fail(exc) from None
    new = result.count("added", "updated", "unchanged")
    summary = f"{new} new, {result.count('skipped')} skipped (already fetched), {len(result.failed)} failed"
    if result.left:
        summary += f", {result.left} left for the next run (--limit)"
    click.echo(f"{result.feed_title or feed_url}: {summary}")
    _finish_ingest(result, f"{len(result.failed)} items failed; they are tried again on the next run")


@cli.command()
@click.argument("query", nargs=-1)
@click.option(
    "--partner",
    multiple=True,
    help="A partner the article is mainly about, code or name: JP, Nhật Bản, Japan (repeatable: any of them).",
)
@click.option(
    "--mentioned", multiple=True, help="A partner the article names anywhere, code or name (repeatable: any of them)."
)
@click.option("--topic", multiple=True, help="Topic slug or name (repeatable: any of them).")
@click.option("--year", multiple=True, help="Year, or 'undated' for articles without a date (repeatable).")
@click.option("--source", multiple=True, help="Outlet (repeatable).")
@click.option("--from", "date_from", help="First day, YYYY-MM-DD.")
@click.option("--to", "date_to", help="Last day, YYYY-MM-DD.")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance", show_default=True)
@click.option("--limit", type=int, default=10, show_default=True, help="Results per page.")
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON document as /api/search.")
@click.option("--exact", is_flag=True, help="Search the text as typed: no accents restored, any accents match.")
@click.pass_obj
def search(
    obj, query, partner, mentioned, topic, year, source, date_from, date_to, sort, limit, page, as_json, exact
) -> None:
    """Search the index and print ranked hits with snippets and facet counts.

    Several values of one filter mean any of them; different filters must all hold.
    """
    from searchapp.search.searcher import Searcher

    try:
        result = Searcher(obj.config).search(
            " ".join(query),
            partners=partner,
            mentioned=mentioned,
            topics=topic,
            years=year,
            sources=source,
            date_from=date_from,
            date_to=date_to,
            sort=sort,
            page=page,
            per_page=limit,
            exact=exact,
        )
    except SearchappError as exc:
        raise _fail(exc) from None
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    _print_result(result)


def _terminal_snippet(html: str) -> str:
    from html import unescape

    marked = html.replace("<mark>", "\x00").replace("</mark>", "\x01")
    text = unescape(marked)
    return text.replace("\x00", click.style("", bold=True, reset=False)).replace("\x01", click.style("", reset=True))


def _print_result(result) -> None:
    if result.restored:
        click.echo(f"Results for: {result.interpreted}   (--exact searches the text as typed)")
    click.echo(f"{result.total:,} results ({result.took_ms:.0f} ms), page {result.page}/{result.pages}")
    if result.suggestion:
        click.echo(f"Did you mean: {result.suggestion}")
    for notice in result.notices:
        if notice["code"] == "unknown_value":
            click.echo(f"Note: no {notice['facet']} {notice['value']!r} in the index; that filter matches nothing.")
        else:
            click.echo("Note: the first day came after the last; the two dates were swapped.")
    if result.undated and result.sort != "relevance":
        click.echo(f"{result.undated:,} undated articles come last.")
    start = (result.page - 1) * result.per_page
    for rank, hit in enumerate(result.hits, start=start + 1):
        meta = " · ".join(x for x in (hit.date, hit.source, ", ".join(hit.partners)) if x)
        click.echo(f"\n{rank}. {click.style(hit.title, bold=True)}  [{hit.id}]")
        if meta:
            click.echo(f"   {meta}")
        click.echo(f"   {_terminal_snippet(hit.snippet)}")
    if result.partial:
        click.echo("\nNear misses (not counted above), each lacking one concept:")
    for hit in result.partial:
        click.echo(f"  - {hit.title}  [{hit.id}]  lacks: {', '.join(hit.missing or [])}")
    for name, values in result.facets.items():
        if values:
            shown = ", ".join(f"{v.label} ({v.count})" for v in values[:8])
            click.echo(f"\n{name}: {shown}", nl=False)
    click.echo()


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def stats(obj: _Context, as_json: bool) -> None:
    """Show how many articles the index holds, by partner, topic and source."""
    from searchapp.corpus import metadata
    from searchapp.search.searcher import Searcher

    try:
        data = Searcher(obj.config).stats()
    except SearchappError as exc:
        raise _fail(exc) from None
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"Articles: {data['articles']:,} ({data['dated']:,} dated, {data['first_date']} … {data['last_date']})")
    click.echo("Partners: " + ", ".join(f"{metadata.partner_label(p)} {n}" for p, n in data["partners"][:15]))
    click.echo("Topics: " + ", ".join(f"{metadata.topic_label(t)} {n}" for t, n in data["topics"][:15]))
    click.echo("Sources: " + ", ".join(f"{s} {n}" for s, n in data["sources"][:15]))


@cli.command()
@click.pass_obj
def check(obj: _Context) -> None:
    """Validate the corpus folder without indexing; exit 1 on any problem."""
    from searchapp.index.changes import check_corpus

    config = obj.config
    if not config.corpus_path.is_dir():
        raise click.ClickException(f"corpus folder {config.corpus_path} does not exist")
    good, errors, warnings = check_corpus(config.corpus_path, config.max_file_mb)
    for error in errors:
        click.echo(f"error: {error}", err=True)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{good:,} articles readable, {len(errors):,} problems")
    if errors:
        raise SystemExit(1)


# Bytes of request body the production server accepts (the app itself takes none).
MAX_REQUEST_BODY = 64 * 1024


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@cli.command()
@click.option("--host", help="Address to listen on (default from config: 127.0.0.1).")
@click.option("--port", type=int, help="Port (default from config: 5000).")
@click.option("--debug", is_flag=True, help="Flask's development server with the debugger. Never in production.")
@click.option("--allow-remote", is_flag=True, help="Allow listening on a non-loopback address.")
@click.option("--threads", type=click.IntRange(min=1), help="Worker threads of the server (default from config: 8).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Server processes (default from config: 1); one per CPU core uses every core.",
)
@click.pass_obj
def serve(obj: _Context, host, port, debug, allow_remote, threads, workers) -> None:
    """Serve the search page and the JSON API."""
    from searchapp import create_app
    from searchapp.web.app import warm

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


def main() -> None:
    """Entry point for ``python -m searchapp``."""
    cli(prog_name="searchapp")

"""The Flask application: :func:`create_app`, its request class, error pages and headers.

The page is rendered on the server and works without JavaScript; every bit of
state (query, filters, sort, page) lives in the URL, so a result list can be
bookmarked, shared and reloaded. ``/api/search``, ``/feed.atom`` and
``/export`` take the same parameters. One :class:`Searcher` is opened per
application and shared by every request. The routes are in
:mod:`~searchapp.web.views` and :mod:`~searchapp.web.exports`.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Request,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
)
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from searchapp.config import Config, load_config
from searchapp.errors import IndexDamaged, IndexMissing, QueryError
from searchapp.search.querylang import MAX_QUERY_CHARS
from searchapp.search.searcher import (
    Searcher,
)
from searchapp.text import nfc
from searchapp.web import exports  # noqa: F401  (registers its routes on the blueprint)
from searchapp.web.jsonout import FastJSONProvider
from searchapp.web.present import format_date, format_number, format_seconds
from searchapp.web.state import SearchState, query_text
from searchapp.web.views import bp

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

ERROR_PAGES = {
    400: ("Yêu cầu không hợp lệ", "Một tham số trong địa chỉ trang không đúng (số trang, ngày tháng, cách sắp xếp…)."),
    404: (
        "Không tìm thấy",
        "Trang hoặc bài viết bạn tìm không có trong chỉ mục. Có thể bài đã bị xóa hoặc địa chỉ bị sai.",
    ),
    405: ("Phương thức không được hỗ trợ", "Trang này chỉ nhận yêu cầu GET."),
    413: ("Yêu cầu quá lớn", "Máy chủ không nhận yêu cầu có nội dung lớn như vậy."),
    500: ("Lỗi máy chủ", "Đã có lỗi ngoài dự kiến. Vui lòng thử lại sau ít phút."),
    503: ("Chưa có chỉ mục tìm kiếm", "Máy chủ chưa có chỉ mục để tìm."),
}

DAMAGED_MESSAGE = (
    "Chỉ mục tìm kiếm bị hỏng: tệp {name} bị thiếu, bị cắt ngắn hoặc không đọc được. "
    "Hãy dựng lại chỉ mục bằng lệnh `searchapp reindex --full`; trang tìm kiếm hoạt động lại ngay sau đó."
)


class NormalizedRequest(Request):
    """A request whose parameters are NFC-normalized once, on the way in.

    Some keyboards send Vietnamese decomposed (NFD); the index and every
    comparison are NFC, so a filter or a prefix typed that way still matches.
    """

    @cached_property
    def args(self) -> ImmutableMultiDict:
        raw = super().args
        return ImmutableMultiDict([(nfc(k), nfc(v)) for k, v in raw.items(multi=True)])


def create_app(config: Config | None = None, serving: bool = False) -> Flask:
    """Build the Flask application around one shared :class:`Searcher`.

    :param config: the configuration; ``None`` reads ``config.toml`` (or ``$SEARCHAPP_CONFIG``).
    :param serving: for a long-running server: a new index is opened and warmed
        in the background and swapped in when ready (see :class:`Searcher`).
    :raises ConfigError: the configuration file is missing or invalid.
    """
    config = config if config is not None else load_config()
    app = Flask(__name__)
    app.json = FastJSONProvider(app)
    app.request_class = NormalizedRequest
    app.config.update(
        SEARCHAPP_CONFIG=config,
        MAX_CONTENT_LENGTH=16 * 1024,
        MAX_FORM_MEMORY_SIZE=16 * 1024,
    )
    # Article ids are opaque strings: "a//b" must reach the route as it is.
    app.url_map.merge_slashes = False
    # Opened once; the searcher notices a reindex on its own.
    app.extensions["searchapp"] = Searcher(config, serving=serving)
    app.register_blueprint(bp)
    app.add_template_filter(format_date, "vn_date")
    app.add_template_filter(format_number, "vn_number")
    app.add_template_filter(format_seconds, "vn_seconds")
    app.after_request(_security_headers)
    app.register_error_handler(QueryError, _query_error)
    app.register_error_handler(IndexMissing, _index_missing)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)
    return app


# Searches answered before the server listens: one accented and one typed
# without marks, so the index, the accent restorer, pyvi's model, the name
# tables and the templates are all loaded. Without them the first user
# waited seconds for what later takes milliseconds.
WARM_QUERIES = ("Việt Nam", "quan he viet nam")


def warm(app: Flask) -> None:
    """Answer :data:`WARM_QUERIES` and a completion inside ``app``, discarding
    the answers. A missing or damaged index only makes them error pages."""
    client = app.test_client()
    for query in WARM_QUERIES:
        client.get("/", query_string={"q": query})
    client.get("/api/suggest", query_string={"q": "vi"})


# -- errors and headers -------------------------------------------------------------


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error_response(
    status: int, message: str, extra: dict[str, Any] | None = None, headers=None, vietnamese: str | None = None
):
    """The error as a JSON envelope or a page.

    :param message: the English description, the JSON's ``error``, as clients have always read it.
    :param vietnamese: what a reader is told (the JSON's ``message``); by default the page's explanation.
    """
    title, explanation = ERROR_PAGES.get(status, (f"Lỗi {status}", "Đã có lỗi khi xử lý yêu cầu."))
    if _wants_json():
        response = jsonify({"ok": False, "error": message, "message": vietnamese or explanation, "status": status})
        response.status_code = status
        if headers:
            response.headers.update(headers)
        return response
    html = render_template(
        "error.html",
        status=status,
        title=title,
        explanation=explanation,
        detail=vietnamese,
        state=SearchState(q=request.args.get("q", "")[:MAX_QUERY_CHARS]),
        **(extra or {}),
    )
    return html, status, headers or {}


def _query_error(exc: QueryError):
    return _error_response(400, str(exc), {"retry_url": SearchState(q=query_text()).url()}, vietnamese=exc.vietnamese)


def _index_missing(exc: IndexMissing):
    current_app.logger.warning("search index unavailable: %s", exc)
    if isinstance(exc, IndexDamaged):
        # Only the file's own name: the page is public, the server's folders are not.
        name = Path(exc.path).name
        extra = {"index_missing": True, "index_damaged": True, "damaged_file": name}
        message = DAMAGED_MESSAGE.format(name=name)
        return _error_response(503, str(exc), extra, headers={"Retry-After": "60"}, vietnamese=message)
    return _error_response(503, str(exc), {"index_missing": True}, headers={"Retry-After": "60"})


def _http_error(exc: HTTPException):
    status = exc.code or 500
    headers = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    return _error_response(status, exc.description or exc.name, headers=headers)


def _server_error(exc: InternalServerError):
    return _error_response(500, "internal server error")


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response

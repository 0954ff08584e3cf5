"""The search parameters checked once: page numbers, sorts, years and dates, with the
messages a reader is shown (in Vietnamese) beside the English ones clients read.

Two forms of each check share their messages: the library's (``Searcher.search``
takes numbers, dates or text) and the URL's (``*_text``: the web layer's
parameters, stricter text, checked before anything is searched)."""

from __future__ import annotations

import datetime as dt
import re

from searchapp.errors import QueryError
from searchapp.search.facets import FACETS, UNDATED

SORTS = ("relevance", "newest", "oldest")
# Parameters as an error message names them to a reader.
PARAMETER_NAMES = {
    "page": "Số trang",
    "per_page": "Số kết quả mỗi trang",
    "from": "Ngày bắt đầu",
    "to": "Ngày kết thúc",
    "year": "Năm",
    "sort": "Cách sắp xếp",
}
SORT_MESSAGE = "Cách sắp xếp phải là liên quan nhất (relevance), mới nhất (newest) hoặc cũ nhất (oldest)."


MAX_PAGE = 1000


def _not_whole(name: str, value) -> QueryError:
    return QueryError(
        f"{name} must be a whole number, got {str(value)[:20]!r}",
        f"{PARAMETER_NAMES.get(name, name)} phải là một số nguyên, không phải “{str(value)[:20]}”.",
    )


def _not_date(name: str, value) -> QueryError:
    return QueryError(f"{name} must be a date as YYYY-MM-DD, got {str(value)[:20]!r}", date_message(name, value))


def positive_int(value, name: str, maximum: int) -> int:
    """``value`` as a whole number from 1 to ``maximum``.

    :raises QueryError: naming the parameter, in English and Vietnamese.
    """
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise _not_whole(name, value) from None
    if number < 1 or number > maximum:
        raise QueryError(
            f"{name} must be between 1 and {maximum}",
            f"{PARAMETER_NAMES.get(name, name)} phải từ 1 đến {maximum}.",
        )
    return number


def is_year(value) -> bool:
    text = str(value).strip()
    return text.isdigit() and len(text) == 4


def year_number(value) -> int:
    try:
        year = int(str(value).strip())
    except ValueError:
        raise QueryError(f"year must be a number like 2021, got {str(value)[:20]!r}", year_message(value)) from None
    if not 1000 <= year <= 9999:
        raise QueryError("year must have four digits", year_message(value))
    return year


def date_number(value, name: str) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, dt.date):
        return int(value.strftime("%Y%m%d"))
    try:
        return int(dt.date.fromisoformat(str(value).strip()).strftime("%Y%m%d"))
    except ValueError:
        raise _not_date(name, value) from None


def iso_date(number: int) -> str:
    text = f"{number:08d}"
    return f"{text[:4]}-{text[4:6]}-{text[6:]}"


def is_undated(value) -> bool:
    return str(value).strip().lower() == UNDATED


def unknown_value(facet: str, value: str) -> dict[str, str]:
    """The notice for a filter value nothing in the index has: it is left out, and said so."""
    return {
        "code": "unknown_value",
        "facet": facet,
        "value": value,
        "message": f"Không có {FACETS[facet].noun} “{value}”: không bài nào khớp giá trị này.",
    }


def swapped_dates(first: int, last: int) -> dict[str, str]:
    def shown(number: int) -> str:
        text = f"{number:08d}"
        return f"{text[6:]}/{text[4:6]}/{text[:4]}"

    return {
        "code": "date_range_swapped",
        "message": f"Ngày bắt đầu ({shown(first)}) sau ngày kết thúc ({shown(last)}): đã đổi chỗ hai ngày.",
    }


def date_message(name: str, value) -> str:
    """What the page says about a date it cannot read."""
    return (
        f"{PARAMETER_NAMES.get(name, name)} “{str(value)[:20]}” không đọc được: "
        "hãy viết ngày theo dạng năm-tháng-ngày, ví dụ 2021-05-01."
    )


def year_message(value) -> str:
    return (
        f"Năm phải là số có bốn chữ số như 2021 (hoặc “{UNDATED}” cho bài không rõ ngày), "
        f"không phải “{str(value)[:20]}”."
    )


# -- the same parameters as a URL gives them

_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR = re.compile(r"\d{4}")


def whole_number_text(raw: str, name: str, maximum: int) -> int | None:
    """A page number or page size typed in a URL (digits only), ``None`` when empty.

    :raises QueryError: as :func:`positive_int`.
    """
    raw = raw.strip()
    if not raw:
        return None
    if not _WHOLE_NUMBER.fullmatch(raw):
        raise _not_whole(name, raw)
    return positive_int(raw, name, maximum)


def date_text(raw: str, name: str) -> str:
    """A date typed in a URL, as ``YYYY-MM-DD`` (``""`` when empty; its days are checked when searched).

    :raises QueryError: as :func:`date_number`.
    """
    raw = raw.strip()
    if raw and not _ISO_DATE.fullmatch(raw):
        raise _not_date(name, raw)
    return raw


def year_text(value: str) -> str:
    """A year typed in a URL, or :data:`UNDATED` for the articles without a date.

    :raises QueryError: with :func:`year_message`.
    """
    if value.lower() == UNDATED:
        return UNDATED
    if not _YEAR.fullmatch(value):
        raise QueryError(f"year must be a number like 2021 or {UNDATED!r}, got {value[:20]!r}", year_message(value))
    return value


def sort_text(raw: str) -> str:
    """A sort order typed in a URL; ``""`` (the default) when empty.

    :raises QueryError: naming the orders there are.
    """
    sort = raw.strip()
    if sort and sort not in SORTS:
        raise QueryError(
            f"sort must be one of {', '.join(SORTS)}",
            f"Cách sắp xếp “{sort[:20]}” không có; hãy chọn relevance (liên quan nhất), newest (mới nhất) "
            "hoặc oldest (cũ nhất).",
        )
    return sort

"""The publication date an article states near its top."""

from __future__ import annotations

import re
from datetime import date

from searchapp.corpus.extract.common import body_lines

# Lines above the lead that may carry a dateline, and how long a dateline
# line may be: a real dateline holds little besides the date.
_HEAD_LINES = 4
_DATELINE_MAX_CHARS = 80
_MIN_YEAR, _MAX_YEAR = 1990, 2100

_NUMERIC_DATE = re.compile(r"(?<![\d/.-])(\d{1,2})[/.-](\d{1,2})[/.-]((?:19|20)\d\d)(?![\d/.-])")
_WORDED_DATE = re.compile(r"(?<!\d)(\d{1,2})\s+tháng\s+(\d{1,2})\s*(?:,\s*)?năm\s+((?:19|20)\d\d)(?!\d)", re.IGNORECASE)
_TIME = re.compile(r"\b\d{1,2}\s*[:h]\s*\d{2}\b")
# What a time stamp holds besides its numbers: a weekday ("Thứ Hai", "Chủ
# nhật"), "cập nhật", "ngày", "lúc", "giờ", "đăng", a time zone, AM/PM in
# English and Vietnamese (SA/CH).
_STAMP_PHRASES = re.compile(r"\b(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|[2-7])|chủ\s+nhật|cập\s+nhật)\b", re.IGNORECASE)
_STAMP_WORDS = frozenset("ngày lúc giờ đăng gmt am pm sa ch".split())
# A dateline may also name a place: "Hà Nội, 06/07/2021".
_DATELINE_OTHER_WORDS = 3
# What may stand between a lead's start and its date: an outlet dateline
# ("(PLVN) -", "VOV.VN -", "HÀ NỘI -") and a time of day ("Sáng", "Chiều").
_LEAD_DATE = re.compile(
    r"^(?:\(?[^\s()]{0,20}(?:\s[^\s()]{1,20}){0,2}\)?\s*[-–—]\s*)?"
    r"(?:(?:sáng|chiều|tối|trưa|đêm|hôm|vào)\s+(?:nay\s+)?)?(?:ngày\s+)?"
    r"(?:\(?\s*)(?=\d)",
    re.IGNORECASE,
)


def _valid_date(day: str, month: str, year: str) -> str | None:
    try:
        found = date(int(year), int(month), int(day))
    except ValueError:
        return None
    if not _MIN_YEAR <= found.year <= _MAX_YEAR:
        return None
    return found.isoformat()


def _full_date_at(text: str, pos: int = 0) -> tuple[str | None, int]:
    """The first full date in ``text[pos:]`` and where it starts."""
    best: tuple[str | None, int] = (None, len(text) + 1)
    for pattern in (_NUMERIC_DATE, _WORDED_DATE):
        match = pattern.search(text, pos)
        if match and match.start() < best[1]:
            best = (_valid_date(*match.groups()), match.start())
    return best


def _stamp_leftover(line: str) -> list[str]:
    """The words of a line that are not part of a date or time stamp."""
    rest = _STAMP_PHRASES.sub(" ", _TIME.sub(" ", _WORDED_DATE.sub(" ", _NUMERIC_DATE.sub(" ", line))))
    return [word for word in re.findall(r"[^\W\d_]+", rest.lower()) if word not in _STAMP_WORDS]


def is_timestamp_line(line: str) -> bool:
    """A line that only dates the page: "18:40, 06/09/2023", "Thứ Tư, 06/09/2023 | 18:40 (GMT+7)".

    Pages and copied articles carry such lines above or below the title; it
    is never a headline, an outlet's name or the lead.
    """
    return len(line) <= _DATELINE_MAX_CHARS and any(c.isdigit() for c in line) and not _stamp_leftover(line)


def _is_dateline(line: str) -> bool:
    """A short line that is mostly a date: a time stamp, or one with a place ("Hà Nội, 06/07/2021")."""
    return len(line) <= _DATELINE_MAX_CHARS and len(_stamp_leftover(line)) <= _DATELINE_OTHER_WORDS


def _head_lines(title: str, body: str) -> list[str]:
    lines = [line.strip() for line in [title, *body.splitlines()]]
    return [line for line in lines if line][: _HEAD_LINES + 1]


def extract_date(title: str, body: str) -> str | None:
    """Publication date (ISO ``yyyy-mm-dd``) stated by the text, else None.

    Two kinds of evidence count, both only near the top of the article:
    a dateline line ("10:07, 06/07/2021", "Thứ Ba, 06/07/2021 10:07 (GMT+7)")
    among the title and first lines; or a first body line (the lead) that
    opens with a full date ("Ngày 6/7/2021, ...", "(PLVN) - Sáng 6 tháng 7
    năm 2021, ..."); a full date opening a later paragraph is usually
    background ("Ngày 17/11/2017, hải quân Argentina ..."). A bare
    "Ngày 6/7" has no year, and years elsewhere in the text ("năm 1945", an
    event "ngày 2/8/2021") say nothing about when it was published, so the
    answer is then None. Impossible dates (31/02) are never returned.
    """
    for line in _head_lines(title, body):
        if _is_dateline(line):
            found, _ = _full_date_at(line)
            if found:
                return found
    return _date_opening_lead(body)


def _date_opening_lead(body: str) -> str | None:
    """Full date that opens the first body line: "(PLVN) - Ngày 6/7/2021, ..."."""
    lines = body_lines(body)
    opening = _LEAD_DATE.match(lines[0]) if lines else None
    if opening is None:
        return None
    found, start = _full_date_at(lines[0], opening.end())
    return found if start == opening.end() else None

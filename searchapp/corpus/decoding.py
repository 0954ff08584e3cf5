"""Bytes to text: UTF-8, UTF-16 or the legacy Vietnamese encodings, and mixed files told apart."""

from __future__ import annotations

import re
import unicodedata

from searchapp.text import nfc


class LineError(ValueError):
    """A problem at a known line of the file."""

    def __init__(self, message: str, line: int) -> None:
        self.line = line
        super().__init__(message)


class MixedEncoding(LineError):
    """Mostly UTF-8, with bytes that are not: two encodings in one file."""

    def __init__(self, line: int) -> None:
        super().__init__(
            "mixed encodings: part UTF-8, part not (the first byte that is not is on this line); "
            "save the whole file as UTF-8",
            line,
        )


def decode_bytes(raw: bytes) -> tuple[str, str | None]:
    """Decode an article file; returns the text and a note on how.

    UTF-8 (with or without BOM) and BOM-marked UTF-16 are decoded as they
    are. Anything else is tried as Windows-1258, the legacy Vietnamese code
    page, and kept only when the result looks like Vietnamese text. A file
    that is partly UTF-8 is not guessed at: the guess would garble the rest.

    :raises MixedEncoding: UTF-8 with stray bytes of another encoding.
    :raises ValueError: binary or undecodable content ("not text").
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ValueError(f"not text: broken UTF-16 ({exc.reason})") from exc
        _check_guessed(text, "UTF-16")
        return text, "decoded as UTF-16 (byte order mark)"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if b"\x00" not in raw and _is_mixed(raw):
            raise MixedEncoding(raw.count(b"\n", 0, exc.start) + 1) from None
        return _decode_legacy(raw), "decoded as Windows-1258 (not UTF-8)"
    if _looks_binary(text):
        raise ValueError("binary file (NUL bytes), not text" if "\x00" in text else "binary file, not text")
    if "\x00" in text:
        return text.replace("\x00", ""), "NUL characters removed"
    return text, None


# Control characters that text never holds (tab, line feed, form feed and
# carriage return are text).
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Multi-byte UTF-8 sequences. Windows-1258 Vietnamese almost never forms one
# by chance (none in 8,400 real articles for three bytes, at most two per
# article for two bytes); UTF-8 Vietnamese has one in nearly every word.
_UTF8_TWO_RE = re.compile(b"[\xc2-\xdf][\x80-\xbf]")
_UTF8_LONG_RE = re.compile(b"[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_MIXED_SCORE = 3


def _is_mixed(raw: bytes) -> bool:
    """Partly UTF-8: more UTF-8 sequences than Windows-1258 ever forms by
    chance, in bytes that are text (random bytes hold control bytes, or
    hardly any ASCII, and few UTF-8 sequences)."""
    two, long = _UTF8_TWO_RE.findall(raw), _UTF8_LONG_RE.findall(raw)
    if len(two) + 2 * len(long) < _MIXED_SCORE:
        return False
    high = len(raw) - len(raw.translate(None, _HIGH_BYTES))
    if 2 * len(two) + sum(map(len, long)) >= high / 2:
        return True
    controls = len(raw) - len(raw.translate(None, _CONTROL_BYTES))
    return controls == 0 and high <= len(raw) / 2


_HIGH_BYTES = bytes(range(128, 256))
_CONTROL_BYTES = bytes([*range(0, 9), 11, *range(14, 32), 127])


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    return len(_CONTROL_RE.findall(sample)) > max(8, len(sample) // 50)


def _check_guessed(text: str, how: str) -> None:
    """Refuse text decoded from a guess (a BOM, a legacy code page) that is not text.

    Random bytes behind a UTF-16 byte order mark decode without error into
    unassigned, private-use and scattered CJK characters.
    """
    sample = text[:65536]
    odd = sum(1 for c in sample if unicodedata.category(c) in _NOT_TEXT and c not in "\t\n\r\f")
    letters = [c for c in sample if c.isalpha()]
    latin = sum(1 for c in letters if c < "\u0250" or "\u1e00" <= c <= "\u1eff")
    if odd > len(sample) // 100 or latin < len(letters) / 2:
        raise ValueError(f"not text (decoded as {how}, it is mostly symbols and scattered scripts)")


_NOT_TEXT = frozenset({"Cc", "Cn", "Co", "Cs"})


def _decode_legacy(raw: bytes) -> str:
    if b"\x00" in raw:
        raise ValueError("binary file (NUL bytes), not text")
    try:
        # Windows-1258 writes tones as combining marks: NFC composes them.
        text = nfc(raw.decode("cp1258"))
    except UnicodeDecodeError as exc:
        raise ValueError("not text: neither UTF-8 nor Windows-1258; save the file as UTF-8") from exc
    plain = sum(1 for c in text if c.isalnum() or c.isspace() or c in _TEXT_PUNCTUATION)
    if not text.strip() or plain < 0.95 * len(text):
        raise ValueError("not text: not UTF-8 and no reliable guess of its encoding; save it as UTF-8")
    # Vietnamese words are single syllables: real text has a space every few letters.
    if len(text) > 12 and sum(1 for c in text if c.isspace()) < len(text) / 15:
        raise ValueError("not text: not UTF-8 and no reliable guess of its encoding; save it as UTF-8")
    _check_guessed(text, "Windows-1258")
    return text


_TEXT_PUNCTUATION = frozenset(".,;:!?()[]\"'“”‘’–—-/%&+*#@…|«»")

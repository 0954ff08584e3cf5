"""A deterministic scale corpus made from the real articles of ``corpus-real``.

Every generated article starts from one real article (its title and most of
its paragraphs, in order) and mixes in paragraphs drawn from the whole pool,
so the text is real prose with a realistic length and vocabulary, while the
number of articles can go well past the 11,547 real ones. Ids, dates (spread
over 2015-2025) and outlets are fresh. ``partners`` and ``topics`` are left
out on purpose: the indexer extracts them from the text, as it does for
articles dropped into the folder, so that cost is part of the measurement.

The output is ``<folder>/corpus/part-NNNN.jsonl`` (1,000 articles per file)
plus a stamp; a corpus whose stamp matches is reused as it is. Each file has
its own random generator, so one file can be regenerated alone (the
incremental-reindex measurement edits one file and restores it afterwards).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

PER_FILE = 1000
SEED = 20240601
# Bump when the generation rules change: the stamp then differs and the
# corpus is rebuilt.
RULES_VERSION = 1
FIRST_DAY = dt.date(2015, 1, 1)
LAST_DAY = dt.date(2025, 12, 31)
OUTLETS = ("Báo Quốc tế", "TTXVN", "VOV", "Nhân Dân", "VnExpress", "Tuổi Trẻ", "Dân trí", "Thanh Niên")
# Share of the template article's paragraphs that are kept, and the number of
# foreign paragraphs mixed in per kept paragraph.
KEEP_SHARE = 0.75
MIX_SHARE = 0.3
MAX_PARAGRAPHS = 60


@dataclass(frozen=True)
class Source:
    title: str
    paragraphs: tuple[str, ...]


def source_files(real_dir: Path) -> list[Path]:
    """Every article file of the real-corpus folder, in name order."""
    return sorted(p for p in real_dir.iterdir() if p.name.endswith((".jsonl", ".jsonl.gz")))


def _lines(path: Path):
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def load_sources(real_dir: Path) -> list[Source]:
    """Real articles split into paragraphs; word-segmented text is turned back into plain text."""
    sources: list[Source] = []
    for path in source_files(real_dir):
        segmented = "tokenized" in path.name
        for record in _lines(path):
            title = (record.get("title") or "").strip()
            body = record.get("body") or ""
            if segmented:
                title, body = title.replace("_", " "), body.replace("_", " ")
            paragraphs = tuple(p.strip() for p in body.split("\n") if p.strip())
            if title and paragraphs:
                sources.append(Source(title, paragraphs))
    return sources


def _stamp(real_dir: Path, size: int) -> dict:
    files = {p.name: p.stat().st_size for p in source_files(real_dir)}
    return {"rules": RULES_VERSION, "seed": SEED, "size": size, "per_file": PER_FILE, "sources": files}


def _article(rng: random.Random, sources: list[Source], pool: list[str], number: int, size: int) -> dict:
    template = sources[rng.randrange(len(sources))]
    kept = [p for p in template.paragraphs if rng.random() < KEEP_SHARE] or [template.paragraphs[0]]
    kept = kept[:MAX_PARAGRAPHS]
    extra = int(len(kept) * MIX_SHARE) + rng.randint(0, 1)
    for _ in range(extra):
        kept.insert(rng.randint(0, len(kept)), pool[rng.randrange(len(pool))])
    day = FIRST_DAY + dt.timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
    return {
        "id": f"bench{size}-{number:06d}",
        "title": template.title,
        "body": "\n".join(kept),
        "date": day.isoformat(),
        "source": OUTLETS[rng.randrange(len(OUTLETS))],
    }


def file_name(index: int) -> str:
    return f"part-{index:04d}.jsonl"


def write_file(folder: Path, index: int, size: int, sources: list[Source], pool: list[str]) -> Path:
    """Write (or rewrite) file ``index`` of the corpus; the same bytes every time."""
    rng = random.Random(f"{SEED}:{size}:{index}")
    first = index * PER_FILE
    count = min(PER_FILE, size - first)
    path = folder / file_name(index)
    with path.open("w", encoding="utf-8") as fh:
        for number in range(first, first + count):
            fh.write(json.dumps(_article(rng, sources, pool, number, size), ensure_ascii=False) + "\n")
    return path


class ScaleCorpus:
    """The generated corpus of ``size`` articles under ``folder``."""

    def __init__(self, real_dir: Path, folder: Path, size: int) -> None:
        self.real_dir = real_dir
        self.folder = folder
        self.corpus = folder / "corpus"
        self.size = size
        self._sources: list[Source] | None = None
        self._pool: list[str] | None = None

    @property
    def files(self) -> list[Path]:
        return [self.corpus / file_name(i) for i in range(-(-self.size // PER_FILE))]

    def _load(self) -> tuple[list[Source], list[str]]:
        if self._sources is None:
            self._sources = load_sources(self.real_dir)
            self._pool = [p for s in self._sources for p in s.paragraphs]
        return self._sources, self._pool

    def _stamp_path(self) -> Path:
        return self.folder / "corpus-stamp.json"

    def _checksums(self) -> dict[str, str]:
        return {p.name: hashlib.blake2b(p.read_bytes(), digest_size=12).hexdigest() for p in self.files}

    def ensure(self) -> bool:
        """Generate the corpus unless an identical one is there; True when written."""
        stamp = _stamp(self.real_dir, self.size)
        try:
            saved = json.loads(self._stamp_path().read_text(encoding="utf-8"))
            if saved.get("stamp") == stamp and saved.get("files") == self._checksums():
                return False
        except (OSError, ValueError):
            pass
        sources, pool = self._load()
        if self.corpus.exists():
            for old in self.corpus.glob("*.jsonl"):
                old.unlink()
        self.corpus.mkdir(parents=True, exist_ok=True)
        for index in range(len(self.files)):
            write_file(self.corpus, index, self.size, sources, pool)
        self._stamp_path().write_text(json.dumps({"stamp": stamp, "files": self._checksums()}), encoding="utf-8")
        return True

    def restore_file(self, index: int) -> None:
        """Rewrite file ``index`` exactly as generated."""
        sources, pool = self._load()
        write_file(self.corpus, index, self.size, sources, pool)

    def articles(self):
        """The generated records, file by file (without metadata extraction)."""
        for path in self.files:
            with path.open(encoding="utf-8") as fh:
                for line in fh:
                    yield json.loads(line)

    def source_count(self) -> int:
        return len(self._load()[0])

"""A fixed, deterministic mix of benchmark queries.

Built from the most frequent syllables, bigrams and trigrams of the scale
corpus and from a list of diplomatic terms, then shaped into the kinds of
requests the search page receives: one word, two to four words, a quoted
phrase, a query typed without diacritics, queries narrowed by partner, topic
or date, and queries sorted by newest. The same seed and corpus always give
the same list.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

from searchapp.text import fold

# Diplomatic vocabulary a reader of the site would type (our own list).
TERMS = (
    "ngoại giao",
    "Biển Đông",
    "ASEAN",
    "hội đàm",
    "điện đàm",
    "Liên hợp quốc",
    "Hội đồng Bảo an",
    "thượng đỉnh",
    "đại sứ",
    "Bộ trưởng Ngoại giao",
    "chuyến thăm chính thức",
    "hợp tác song phương",
    "an ninh khu vực",
    "chủ quyền",
    "APEC",
    "G20",
    "Nhật Bản",
    "Hàn Quốc",
    "Trung Quốc",
    "Hoa Kỳ",
    "Nga",
    "Ấn Độ",
    "Liên minh châu Âu",
    "EVFTA",
    "CPTPP",
    "RCEP",
    "Triều Tiên",
    "Ukraine",
    "biến đổi khí hậu",
    "đầu tư nước ngoài",
    "tuyên bố chung",
    "Tổng thư ký",
    "hòa bình",
    "Campuchia",
    "Lào",
    "Thái Lan",
    "Singapore",
    "Philippines",
    "vũ khí hạt nhân",
    "lệnh trừng phạt",
    "Nhà Trắng",
    "Điện Kremlin",
    "Thủ tướng",
    "Chủ tịch nước",
    "bầu cử",
    "xung đột",
    "khủng bố",
    "COVID-19",
    "vaccine",
    "tàu cá",
    "quần đảo Hoàng Sa",
    "Trường Sa",
    "UNCLOS",
    "WTO",
    "đối tác chiến lược toàn diện",
    "hiệp định thương mại tự do",
    "đoàn đại biểu",
    "hội nghị cấp cao",
    "lãnh sự",
    "người Việt Nam ở nước ngoài",
    "quan hệ Việt Nam Nhật Bản",
    "Mỹ Trung",
    "Trung Đông",
    "Israel",
    "Iran",
    "Myanmar",
    "Indonesia",
    "Malaysia",
    "Australia",
    "Pháp",
    "Đức",
    "Anh",
    "Canada",
    "Cuba",
    "NATO",
    "Brexit",
)
PARTNERS = (
    "JP",
    "CN",
    "US",
    "RU",
    "KR",
    "IN",
    "LA",
    "KH",
    "TH",
    "SG",
    "FR",
    "DE",
    "GB",
    "AU",
    "KP",
    "UA",
    "EU",
    "ASEAN",
)
TOPICS = (
    "bien-dong",
    "ukraine-nga",
    "trung-dong",
    "asean",
    "thuong-mai-dau-tu",
    "an-ninh-quoc-phong",
    "ngoai-giao-song-phuong",
    "da-phuong-lien-hop-quoc",
    "covid-y-te",
    "khi-hau-moi-truong",
    "ban-dao-trieu-tien",
    "myanmar",
    "khung-bo",
    "bau-cu-chinh-tri",
)
# How many queries of each kind (320 in all).
MIX = {
    "one word": 50,
    "2-4 words": 70,
    "phrase": 30,
    "unaccented": 50,
    "+partner": 35,
    "+topic": 30,
    "+date": 30,
    "newest": 25,
}
SAMPLE_ARTICLES = 2000
_CLAUSE_RE = re.compile(r"[^\w\s]+|\n|_")
_WORD_RE = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Query:
    """One request: the query box text plus the side-panel filters and sort."""

    kind: str
    q: str
    partners: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None
    sort: str = "relevance"

    def key(self) -> tuple:
        return (self.q, self.partners, self.topics, self.date_from, self.date_to, self.sort)

    def api_kwargs(self) -> dict:
        """Keyword arguments of ``Searcher.search``."""
        return {
            "partners": self.partners,
            "topics": self.topics,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "sort": self.sort,
            "per_page": 10,
        }

    def url_query(self) -> str:
        """The ``/api/search`` query string."""
        pairs = [("q", self.q)]
        pairs += [("partner", p) for p in self.partners]
        pairs += [("topic", t) for t in self.topics]
        if self.date_from:
            pairs.append(("from", self.date_from))
        if self.date_to:
            pairs.append(("to", self.date_to))
        pairs += [("sort", self.sort), ("per_page", "10")]
        return urlencode(pairs)


def _counts(texts) -> tuple[Counter, Counter, Counter]:
    uni, bi, tri = Counter(), Counter(), Counter()
    for text in texts:
        for clause in _CLAUSE_RE.split(text):
            words = [w.lower() for w in _WORD_RE.findall(clause)]
            uni.update(words)
            bi.update(zip(words, words[1:], strict=False))
            tri.update(zip(words, words[1:], words[2:], strict=False))
    return uni, bi, tri


def vocabulary(records) -> tuple[list[str], list[str], list[str]]:
    """Frequent syllables, bigrams and trigrams of the first articles, most frequent first."""
    texts = []
    for n, record in enumerate(records):
        if n >= SAMPLE_ARTICLES:
            break
        texts.append(record["title"] + "\n" + record["body"])
    uni, bi, tri = _counts(texts)
    ranked = [w for w, _ in uni.most_common() if len(w) > 1]
    stop = set(ranked[:40])
    words = ranked[30:1500]
    bigrams = [" ".join(g) for g, _ in bi.most_common(3000) if not set(g) <= stop and all(len(w) > 1 for w in g)]
    trigrams = [" ".join(g) for g, _ in tri.most_common(3000) if len(set(g) - stop) >= 2]
    return words, bigrams[:1500], trigrams[:600]


def _year_range(rng: random.Random) -> tuple[str, str]:
    start = rng.randint(2015, 2024)
    end = min(2025, start + rng.randint(0, 2))
    return f"{start}-{rng.choice(['01', '04', '07'])}-01", f"{end}-12-31"


def build_mix(records, seed: int = 7) -> list[Query]:
    """The query mix for this corpus: :data:`MIX` queries, all distinct."""
    words, bigrams, trigrams = vocabulary(records)
    rng = random.Random(seed)
    single_terms = [t for t in TERMS if " " not in t]
    multi_terms = [t for t in TERMS if " " in t]
    out: list[Query] = []
    seen: set[tuple] = set()

    def add(query: Query) -> bool:
        if not query.q.strip() and query.sort == "relevance" or query.key() in seen:
            return False
        seen.add(query.key())
        out.append(query)
        return True

    def fill(kind: str, make) -> None:
        wanted = len(out) + MIX[kind]
        tries = 0
        while len(out) < wanted:
            tries += 1
            if tries > 100_000:
                raise RuntimeError(f"cannot build enough distinct {kind!r} queries")
            add(make())

    def plain_text() -> str:
        roll = rng.random()
        if roll < 0.3:
            return rng.choice(words)
        if roll < 0.6:
            return rng.choice(bigrams)
        if roll < 0.8:
            return rng.choice(TERMS)
        return f"{rng.choice(bigrams)} {rng.choice(words)}"

    def multi() -> str:
        roll = rng.random()
        if roll < 0.4:
            return rng.choice(bigrams)
        if roll < 0.7:
            return rng.choice(multi_terms)
        if roll < 0.85:
            return f"{rng.choice(bigrams)} {rng.choice(words)}"
        return f"{rng.choice(TERMS)} {rng.choice(TERMS)}"

    fill("one word", lambda: Query("one word", rng.choice(words) if rng.random() < 0.7 else rng.choice(single_terms)))
    fill("2-4 words", lambda: Query("2-4 words", " ".join(multi().split()[:4])))

    def phrase() -> Query:
        text = rng.choice(trigrams) if rng.random() < 0.4 else rng.choice(bigrams + multi_terms)
        return Query("phrase", f'"{text}"')

    fill("phrase", phrase)
    fill("unaccented", lambda: Query("unaccented", fold(plain_text()).lower()))
    fill("+partner", lambda: Query("+partner", plain_text(), partners=(rng.choice(PARTNERS),)))
    fill("+topic", lambda: Query("+topic", plain_text(), topics=(rng.choice(TOPICS),)))

    def dated() -> Query:
        start, end = _year_range(rng)
        return Query("+date", plain_text(), date_from=start, date_to=end)

    fill("+date", dated)

    def newest() -> Query:
        roll = rng.random()
        if roll < 0.2:
            return Query("newest", "", partners=(rng.choice(PARTNERS),), sort="newest")
        if roll < 0.5:
            return Query("newest", plain_text(), topics=(rng.choice(TOPICS),), sort="newest")
        return Query("newest", plain_text(), sort="newest")

    fill("newest", newest)
    return out


def to_json(mix: list[Query]) -> list[dict]:
    return [asdict(q) for q in mix]


def from_json(items: list[dict]) -> list[Query]:
    return [Query(**{**item, "partners": tuple(item["partners"]), "topics": tuple(item["topics"])}) for item in items]

"""CPU of hostile queries: what one request can cost at most (README "Reliability").

    python bench/hostile.py CONFIG [--only NAME]

CONFIG is the config.toml of an indexed corpus (``bench/data/10000/config.toml``
after ``make bench-small``). Each query is run once to warm the caches, then
timed; the figure is the process's CPU time for that one search. Not part of
``make test`` (the tests check the caps on the sample corpus).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from searchapp.config import load_config  # noqa: E402
from searchapp.search.searcher import Searcher  # noqa: E402

_CONSONANTS = "bcdghklmnpqrstvx"
_MARKED = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
_WORDS = "ha noi viet nam bien dong hop tac kinh te ngoai giao thu tuong".split()
_PHRASES = [
    "quan hệ đối tác",
    "Bộ Ngoại giao",
    "hợp tác kinh tế",
    "Thủ tướng Chính phủ",
    "phát triển bền vững",
    "an ninh khu vực",
    "Chủ tịch nước",
    "tăng cường hợp tác",
    "các nước ASEAN",
    "đầu tư nước ngoài",
    "Liên hợp quốc",
    "cộng đồng quốc tế",
]


def queries(rng: random.Random) -> dict[str, str]:
    return {
        "500 unknown accented": " ".join("x" + rng.choice(_MARKED) + rng.choice("qwz") for _ in range(500)),
        "300 unknown plain": " ".join(
            rng.choice(_CONSONANTS) + rng.choice("aeiouy") + rng.choice("qwzjf") + "x" for _ in range(300)
        ),
        "300 plain words": " ".join(rng.choice(_WORDS) for _ in range(300)),
        "200 OR": " OR ".join(rng.choice(_WORDS) for _ in range(200)),
        "300 quoted phrases": " ".join(
            f'"{rng.choice(["ha noi", "viet nam", "bien dong", "hop tac"])}"' for _ in range(300)
        ),
        "60 phrases, 12 distinct": " ".join(f'"{p}"' for p in _PHRASES * 5),
        "wildcards": "*" * 300 + " " + " ".join("a*" for _ in range(300)),
        "filters": " ".join(f"partner:{c}" for c in ["JP", "US", "CN", "KR"] * 60),
        "exclusions": " ".join(f"-{w}" for w in _WORDS * 20),
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--only", help="one query by name")
    args = parser.parse_args(argv)
    searcher = Searcher(load_config(args.config))
    searcher.search("Biển Đông")
    print(f"{searcher.doc_count():,} articles")
    for name, text in queries(random.Random(1)).items():
        if args.only and name != args.only:
            continue
        searcher.search(text)
        cpu, wall = _cpu(), time.perf_counter()
        result = searcher.search(text)
        cpu, wall = _cpu() - cpu, time.perf_counter() - wall
        print(
            f"{name:24s} {len(text):5d} chars  cpu {cpu:5.2f} s  wall {wall:5.2f} s  "
            f"total {result.total:6,d}  concepts {len(result.concepts):3d}  skipped {result.skipped}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

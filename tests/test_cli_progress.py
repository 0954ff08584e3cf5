"""Progress of long commands: bars that advance on a terminal, one summary line off it.

The commands run as real subprocesses on a pseudo-terminal, as a person
runs them. ``TQDM_MININTERVAL=0`` makes every update visible, so the test
sees each count instead of depending on how fast this machine is.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time

from conftest import write_config

SEARCHAPP = [sys.executable, "-m", "searchapp"]
# The parallel full rebuild (one segment per worker process) starts at 1,000
# articles; this lowers the threshold, the writers' chunk and the parent's
# polling interval so that a small corpus takes that path and each writer's
# count is seen several times.
PARALLEL = [
    sys.executable,
    "-c",
    "import searchapp.index.parallel as p\n"
    "import searchapp.index.reindex as i\n"
    "i._SPLIT_MIN, p._PART_CHUNK, p._POLL_SECONDS = 10, 4, 0.01\n"
    "from searchapp.cli import main\n"
    "main()\n",
]
# "Indexing:  40%|████      | 16/40 [00:01<00:01, 12.3article/s]"
BAR = re.compile(r"(?P<label>[A-Z][\w ]*?): +\d+%\|[^|]*\| *(?P<done>\d+)/(?P<total>\d+) \[(?P<times>[^\]]*)\]")
BODY = "Hai bên nhất trí tăng cường hợp tác kinh tế, thương mại và đầu tư trong thời gian tới. " * 12


def make_project(tmp_path, count=40, workers=None):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for number in range(count):
        text = f"Việt Nam và Lào ký thỏa thuận hợp tác số {number}\n\n{BODY}\n"
        (corpus / f"bai-{number:03d}.txt").write_text(text, encoding="utf-8")
    config = write_config(tmp_path, corpus)
    if workers:
        config.write_text(config.read_text().replace("[index]\n", f"[index]\nworkers = {workers}\n"))
    return config, corpus


def terminal(config, *args, argv=SEARCHAPP, size=(30, 100)):
    """Run a searchapp command with a pseudo-terminal as its terminal: (exit code, everything it drew).

    :param size: (rows, columns) the terminal reports; (0, 0) as a bare pseudo-terminal does.
    """
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
    env = {**os.environ, "TQDM_MININTERVAL": "0", "TQDM_MINITERS": "1"}
    child = subprocess.Popen(
        [*argv, "--config", str(config), *args], stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
    )
    os.close(slave)
    chunks, deadline = [], time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: every writer of the terminal is gone
                    break
                if not data:
                    break
                chunks.append(data)
            elif child.poll() is not None:
                break
    finally:
        os.close(master)
        if child.poll() is None:
            child.kill()
        child.wait()
    return child.returncode, b"".join(chunks).decode("utf-8", "replace")


def lines(output: str) -> list[str]:
    """What the terminal showed, one entry per redraw or line."""
    return [line.strip() for line in re.split(r"[\r\n]+", output) if line.strip()]


def bars(output: str) -> list[tuple[str, int, int, str]]:
    """Every bar drawn, in order: (label, done, total, times)."""
    found = []
    for line in lines(output):
        match = BAR.match(line)
        if match:
            found.append((match["label"], int(match["done"]), int(match["total"]), match["times"]))
    return found


def counts(drawn, label: str) -> list[int]:
    return [done for name, done, _, _ in drawn if name == label]


def assert_advances(drawn, label: str, total: int, between: int = 2) -> None:
    seen = counts(drawn, label)
    assert seen, (label, drawn)
    assert seen == sorted(seen), seen
    assert seen[-1] == total, seen
    # Counts between the start and the end: it moved while the work ran.
    assert len({n for n in seen if 0 < n < total}) >= between, seen
    assert all(t == total for name, _, t, _ in drawn if name == label)


def test_first_build_shows_counts_rate_and_time_left(tmp_path):
    config, _ = make_project(tmp_path)
    code, output = terminal(config, "reindex")
    assert code == 0, output
    drawn = bars(output)
    assert_advances(drawn, "Indexing", 40)
    # Elapsed < left, and a rate, once a few articles are done.
    times = [t for name, done, _, t in drawn if name == "Indexing" and done > 1]
    assert any(re.fullmatch(r"\d\d:\d\d<\d\d:\d\d, +[\d.]+(article/s|s/article)", t) for t in times), times
    # No estimate on a first build: the reading stage counts, without a total.
    assert re.search(r"^Reading: 40 articles \[\d\d:\d\d, ", output.replace("\r", "\n"), re.M), output
    # The commit has no count, but says what it is doing.
    assert "Writing the index…" in lines(output)
    # The bars are cleared; the summary is the last thing on the screen.
    assert lines(output)[-1].startswith("Full rebuild: added 40, updated 0, deleted 0, unchanged 0, failed 0 in ")


def test_incremental_reindex_reads_against_last_runs_count(tmp_path):
    config, corpus = make_project(tmp_path)
    assert terminal(config, "reindex")[0] == 0
    for number in range(0, 40, 4):
        path = corpus / f"bai-{number:03d}.txt"
        path.write_text(path.read_text(encoding="utf-8") + "\nĐoạn bổ sung.\n", encoding="utf-8")
    code, output = terminal(config, "reindex")
    assert code == 0, output
    drawn = bars(output)
    # The reading stage knows the total from the last run: a time left from the start.
    assert_advances(drawn, "Reading", 40)
    assert_advances(drawn, "Indexing", 10)
    assert "Reindex: added 0, updated 10, deleted 0, unchanged 30, failed 0" in lines(output)[-1]


def test_parallel_full_rebuild_advances_as_the_writers_go(tmp_path):
    config, _ = make_project(tmp_path, count=60, workers=2)
    code, output = terminal(config, "reindex", "--full", argv=PARALLEL)
    assert code == 0, output
    drawn = bars(output)
    # Sketched 32 articles at a time.
    assert_advances(drawn, "Finding reprints", 60, between=1)
    # Before, the count only appeared once every writer had finished.
    assert_advances(drawn, "Indexing", 60)
    assert counts(drawn, "Writing segments")[-1] == 2
    labels = [name for name, *_ in drawn]
    assert labels.index("Finding reprints") < labels.index("Indexing") < labels.index("Writing segments")
    assert lines(output)[-1].startswith("Full rebuild: added 60, ")


def test_a_terminal_that_reports_no_size_still_gets_the_bar(tmp_path):
    config, _ = make_project(tmp_path, count=12)
    code, output = terminal(config, "reindex", size=(0, 0))
    assert code == 0, output
    assert counts(bars(output), "Indexing")[-1] == 12


def test_add_prints_its_lines_above_the_bar(tmp_path):
    config, corpus = make_project(tmp_path, count=12)
    assert terminal(config, "reindex")[0] == 0
    inside = corpus / "bai-003.txt"
    outside = tmp_path / "moi.txt"
    outside.write_text(f"Campuchia và Việt Nam ký hiệp định thương mại\n\n{BODY}\n", encoding="utf-8")
    code, output = terminal(config, "add", str(inside), str(outside))
    assert code == 0, output
    shown = lines(output)
    # Whole lines of their own, not glued to a bar.
    assert f"already in the corpus: {inside}" in shown
    assert f"added {corpus / 'added' / 'moi.txt'}" in shown
    assert counts(bars(output), "Adding")
    assert counts(bars(output), "Indexing")[-1] == 1
    assert shown[-1].startswith("Reindex: added 1, updated 0, deleted 0, unchanged 12, failed 0")


def test_off_a_terminal_the_summary_is_one_line(tmp_path):
    config, _ = make_project(tmp_path, count=12)
    env = {**os.environ, "TQDM_MININTERVAL": "0"}
    run = subprocess.run(
        [*SEARCHAPP, "--config", str(config), "reindex"], capture_output=True, text=True, env=env, timeout=300
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    [line] = run.stdout.splitlines()
    assert line.startswith("Full rebuild: added 12, updated 0, deleted 0, unchanged 0, failed 0 in ")

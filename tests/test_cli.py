"""The command line: every command, exact error texts."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_CORPUS, write_config

from searchapp.cli import cli


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def project(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.json").write_text(
        json.dumps({"id": "a", "title": "Việt Nam và Nhật Bản", "body": "Hợp tác Biển Đông.", "partners": ["JP"]}),
        encoding="utf-8",
    )
    return write_config(tmp_path, corpus), corpus


def run(runner, config, *args):
    return runner.invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_reindex_search_stats(runner, project):
    config, _ = project
    result = run(runner, config, "reindex")
    assert result.exit_code == 0
    assert "added 1, updated 0, deleted 0, unchanged 0, failed 0" in result.output
    result = run(runner, config, "search", "bien", "dong")
    assert "Việt Nam và Nhật Bản" in result.output and "1 results" in result.output
    result = run(runner, config, "search", "--json", "--partner", "Japan", "Biển Đông")
    data = json.loads(result.output)
    assert set(data) == {
        *("ok", "query", "total", "page", "per_page", "pages", "took_ms", "interpreted", "concepts"),
        *("hits", "partial", "facets", "suggestion", "timeline", "undated", "filters", "notices", "skipped"),
    }
    assert data["hits"][0]["id"] == "a" and "<mark>" in data["hits"][0]["snippet"]
    assert "Articles: 1" in run(runner, config, "stats").output


def test_search_without_index_names_the_fix(runner, project):
    config, _ = project
    result = runner.invoke(cli, ["--config", str(config), "search", "x"])
    assert result.exit_code == 1
    assert "No index in" in result.output and "Run `searchapp reindex` first." in result.output


def test_bad_dates_and_pages_are_clear_errors(runner, project):
    config, _ = project
    run(runner, config, "reindex")
    result = runner.invoke(cli, ["--config", str(config), "search", "--from", "2021-02-30", "x"])
    assert result.exit_code == 1 and "from must be a date as YYYY-MM-DD" in result.output


def test_check_lists_problems_without_indexing(runner, project):
    config, corpus = project
    (corpus / "bad.jsonl").write_text("{oops\n", encoding="utf-8")
    result = runner.invoke(cli, ["--config", str(config), "check"])
    assert result.exit_code == 1
    assert "bad.jsonl:1: malformed JSON" in result.output
    assert "1 articles readable, 1 problems" in result.output
    assert not (config.parent / "index" / "CURRENT").exists()


def test_strict_reindex_fails_on_a_broken_article(runner, project):
    config, corpus = project
    (corpus / "empty.txt").write_text("   \n", encoding="utf-8")
    result = runner.invoke(cli, ["--config", str(config), "reindex", "--strict"])
    assert result.exit_code == 1
    assert "empty.txt: empty article" in result.output


def test_add_copies_and_indexes(runner, project, tmp_path):
    config, corpus = project
    run(runner, config, "reindex")
    new = tmp_path / "moi.txt"
    new.write_text("Campuchia và Việt Nam ký hiệp định\n\nNội dung.", encoding="utf-8")
    result = run(runner, config, "add", str(new))
    assert "added 1" in result.output and (corpus / "added" / "moi.txt").exists()
    assert "Campuchia" in run(runner, config, "search", "Campuchia").output


def test_bad_config_is_one_line(runner, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[corpus]\npath = "x"\n', encoding="utf-8")
    result = runner.invoke(cli, ["--config", str(path), "stats"])
    assert result.exit_code == 1
    assert result.output.strip() == 'Error: missing key index.path: add [index] path = "..."'


def test_serve_refuses_a_public_address_without_the_flag(runner, project):
    config, _ = project
    result = runner.invoke(cli, ["--config", str(config), "serve", "--host", "0.0.0.0"])
    assert result.exit_code == 1 and "--allow-remote" in result.output


def test_every_command_has_help_and_is_in_the_readme(runner):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for name, command in cli.commands.items():
        assert command.help, name
        assert runner.invoke(cli, [name, "--help"]).exit_code == 0
        assert f"searchapp {name}" in readme, name


def test_python_dash_m_runs(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "searchapp", "--help"], capture_output=True, text=True, check=True)
    assert "reindex" in out.stdout


def test_sample_corpus_is_clean(runner):
    config = write_config_for_sample()
    result = runner.invoke(cli, ["--config", str(config), "check"])
    assert result.exit_code == 0, result.output


def write_config_for_sample():
    import tempfile
    from pathlib import Path

    return write_config(Path(tempfile.mkdtemp()), SAMPLE_CORPUS)


def test_search_filters_by_mentioned_partner_and_undated_year(runner, sample_config):
    def found(*args):
        return json.loads(run(runner, sample_config.source_file, "search", "--json", "--limit", "3", *args).output)

    named, main = found("--mentioned", "MM"), found("--partner", "MM")
    assert named["total"] > main["total"] > 0
    assert named["filters"]["mentioned"] == ["MM"]
    assert found("--year", "undated")["filters"]["years"] == [0]
    text = run(runner, sample_config.source_file, "search", "--partner", "Narnia").output
    assert "no partner 'Narnia' in the index" in text


def test_check_advice_fits_each_format_and_names_lines(runner, project):
    config, corpus = project
    (corpus / "feed.jsonl").write_text(
        json.dumps({"title": "Có tiêu đề", "body": "Nội dung."}) + "\n" + json.dumps({"body": "Không tiêu đề."}) + "\n",
        encoding="utf-8",
    )
    (corpus / "open.md").write_text("---\ntitle: Tiêu đề\ndate: 31/12/2021\n\nNội dung.\n", encoding="utf-8")
    (corpus / "usa.md").write_text("---\ntitle: Tiêu đề\ndate: 12/31/2021\n---\nNội dung.\n", encoding="utf-8")
    (corpus / "vn.md").write_text("---\ntitle: Bài có ngày\ndate: 31/12/2021\n---\nNội dung.\n", encoding="utf-8")
    result = runner.invoke(cli, ["--config", str(config), "check"])
    assert result.exit_code == 1
    assert 'error: feed.jsonl:2: no title: add a "title" field' in result.output
    assert "the first line must be the headline" not in result.output
    assert "error: open.md:1: front matter opened here is never closed: add a line '---' after its last field" in (
        result.output
    )
    assert "warning: usa.md: invalid date '12/31/2021' ignored: no such day, read day first" in result.output
    assert "on line 3" in result.output
    assert "vn.md" not in result.output  # 31/12/2021 in front matter is a date, nothing to report
    assert "4 articles readable, 2 problems" in result.output
    run(runner, config, "reindex")
    data = json.loads(run(runner, config, "search", "--json", "Bài có ngày").output)
    assert data["hits"][0]["date"] == "2021-12-31"

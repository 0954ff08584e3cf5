"""Configuration: defaults, relative paths, one-line errors."""

from __future__ import annotations

import pytest

from searchapp.config import load_config
from searchapp.errors import ConfigError


def write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_config_resolves_paths_against_its_folder(tmp_path):
    config = load_config(write(tmp_path, '[corpus]\npath = "articles"\n[index]\npath = "idx"\n'))
    assert config.corpus_path == (tmp_path / "articles").resolve()
    assert config.index_path == (tmp_path / "idx").resolve()
    assert config.port == 5000 and config.host == "127.0.0.1"
    assert config.ranking.title_repeat == 2


def test_repository_config_is_valid_and_documents_every_key():
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "config.toml"
    config = load_config(path)
    text = path.read_text(encoding="utf-8")
    for field in ("exact_weight", "fold_weight", "words_weight", "bm25_k1", "lock_timeout", "snippet_chars"):
        assert f"\n{field} = " in text
    assert config.corpus_path.name == "corpus"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[corpus]\npath = "c"\n', "missing key index.path"),
        ('[corpus]\npath = "c"\n[index]\npath = "i"\n[server]\nport = "80"\n', "server.port must be of type int"),
        ('[corpus]\npath = "c"\n[index]\npath = "i"\n[server]\nprot = 80\n', "unknown key server.prot"),
        (
            '[corpus]\npath = "c"\n[index]\npath = "i"\n[ranking]\nfold_weight = -1\n',
            "ranking.fold_weight must be >= 0",
        ),
        ("[corpus\n", "not valid TOML"),
    ],
)
def test_bad_config_gives_one_line_naming_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_environment_variable_selects_the_file(tmp_path, monkeypatch):
    path = write(tmp_path, '[corpus]\npath = "c"\n[index]\npath = "i"\n[server]\nport = 8123\n')
    monkeypatch.setenv("SEARCHAPP_CONFIG", str(path))
    assert load_config().port == 8123

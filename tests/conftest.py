"""Shared fixtures: the real-article folder beside the clone, temporary indexes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SEARCHAPP_SHARED", REPO.parent / "shared"))
CORPUS_REAL = SHARED / "corpus-real"


@pytest.fixture(scope="session")
def corpus_real() -> Path:
    """The folder of real articles; tests that need it skip when it is absent."""
    if not CORPUS_REAL.is_dir():
        pytest.skip(f"real articles not found at {CORPUS_REAL} (set SEARCHAPP_SHARED)")
    return CORPUS_REAL


SAMPLE_CORPUS = REPO / "corpus"


def write_config(folder: Path, corpus: Path, **sections: dict) -> Path:
    """A config.toml in ``folder`` pointing at ``corpus`` and ``folder/index``."""
    lines = [f'[corpus]\npath = "{corpus}"\n', f'[index]\npath = "{folder / "index"}"\nlock_timeout = 5.0\n']
    for name, values in sections.items():
        lines.append(f"[{name}]\n" + "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in values.items()))
    path = folder / "config.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def build_index(folder: Path, corpus: Path):
    """Config plus a freshly built index of ``corpus``."""
    from searchapp.config import load_config
    from searchapp.index.reindex import reindex

    config = load_config(write_config(folder, corpus))
    reindex(config)
    return config


@pytest.fixture(scope="session")
def sample_config(tmp_path_factory):
    """The bundled sample corpus, indexed once per test session."""
    return build_index(tmp_path_factory.mktemp("sample"), SAMPLE_CORPUS)


@pytest.fixture
def app(sample_config):
    from searchapp import create_app

    app = create_app(sample_config)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client(app):
    return app.test_client()

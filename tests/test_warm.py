"""The server answers its first user warm: `serve` loads everything first."""

from __future__ import annotations

from searchapp import create_app
from searchapp.web.app import warm


def test_warm_opens_the_index_and_builds_the_restorer(sample_config):
    app = create_app(sample_config)
    searcher = app.extensions["searchapp"]
    assert searcher._live.opened is None  # nothing is opened by building the app
    warm(app)
    gen = searcher._live.opened
    assert gen is not None and gen.engine is not None
    assert gen._restorer is not None and gen._restorer.folded_syllables()


def test_warm_survives_a_missing_index(tmp_path, sample_config):
    config = sample_config.with_paths(index=tmp_path / "none")
    app = create_app(config)
    warm(app)  # error pages, not exceptions
    assert app.extensions["searchapp"]._live.opened is None

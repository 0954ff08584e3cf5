"""The shipped topic model is the fit of the judged set and today's phrases.

``searchapp/data/topic_model.toml`` is fitted by ``bench/topics_fit.py`` on
``bench/sets/topics.jsonl``; a phrase or threshold changed in ``topics.toml``
without a refit would leave the engine weighing evidence it was not fitted on.
"""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO, SHARED


def test_the_shipped_topic_model_is_the_fit_of_the_judged_set(corpus_real) -> None:
    env = {**os.environ, "SEARCHAPP_SHARED": str(SHARED)}
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "topics_fit.py"), "--verify"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr

"""The Makefile's everyday targets, read with ``make -n`` (printed, not run)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from conftest import REPO

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def planned(*args: str) -> list[str]:
    """The commands ``make`` would run, without running them."""
    # Run inside `make test`, a nested make would also print "Entering/Leaving
    # directory" lines: start it as a top-level make.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    run = subprocess.run(
        ["make", "--no-print-directory", "-n", *args], cwd=REPO, capture_output=True, text=True, timeout=30, env=env
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()


def test_make_serve_takes_the_port_from_the_command_line():
    assert planned("serve", "PORT=5001")[-1].endswith("searchapp serve --port 5001")


def test_make_serve_defaults_to_port_5000():
    assert planned("serve")[-1].endswith("searchapp serve --port 5000")

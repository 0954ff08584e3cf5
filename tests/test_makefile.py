"""The Makefile's everyday targets, read with ``make -n`` (printed, not run)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib

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


def test_make_serve_takes_the_address_and_other_serve_options():
    assert planned("serve", "HOST=::1", "PORT=8080")[-1].endswith("searchapp serve --host ::1 --port 8080")
    line = planned("serve", "HOST=0.0.0.0", "SERVE_ARGS=--allow-remote")[-1]
    assert line.endswith("searchapp serve --host 0.0.0.0 --port 5000 --allow-remote")


def _lock_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line[0].isspace() and "==" in line:
            name, version = line.split(" ")[0].split("==")
            pins[_canonical(name)] = version
    return pins


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_make_install_installs_the_lock_with_hashes_then_the_project_alone():
    commands = planned("-B", "install")
    lock = [c for c in commands if "--require-hashes" in c and "-r requirements.lock" in c]
    # --no-deps: the lock is complete, so nothing may be resolved past it.
    assert lock and "--no-deps" in lock[0], commands
    project = [c for c in commands if c.endswith("-e .")]
    assert project and "--no-deps" in project[0], commands
    # Nothing else is resolved at install time: no unpinned upgrade, no extras.
    assert not any("--upgrade" in c or "[test]" in c for c in commands), commands


def test_the_lock_holds_every_pin_of_pyproject_with_hashes():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    pins = _lock_pins()
    for requirement in wanted:
        name, version = requirement.split("==")
        assert pins.get(_canonical(name)) == version, f"{requirement} is not what requirements.lock pins; run make lock"
    # What the browser tests drive Chromium with comes along with Playwright.
    assert {"playwright", "greenlet", "pyee"} <= set(pins)
    text = (REPO / "requirements.lock").read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=\S)", text.strip())
    assert all("--hash=sha256:" in block for block in blocks if "==" in block.split("\n")[0])


def test_make_lock_regenerates_it_for_python_311_on_linux_with_hashes():
    compile_line = " ".join(planned("-B", "lock"))
    for part in (
        "uv pip compile pyproject.toml",
        "--extra test",
        "--generate-hashes",
        "--python-version 3.11",
        "x86_64-unknown-linux-gnu",
        "-o requirements.lock",
    ):
        assert part in compile_line

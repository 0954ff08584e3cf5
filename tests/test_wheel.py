"""Installed the way a user installs it: the wheel, in a fresh virtual environment.

The other tests run from the editable checkout, where every template is at
hand and the development environment holds every distribution: they cannot
see a file left out of the wheel or a dependency the project forgot to
declare. Here the stock ``python -m venv`` (with the pip it ships) builds the
wheel from a copy of the sources, installs it with its declared dependencies
from the package index, indexes a tiny corpus and requests every route,
through the installed package only.

It takes a minute or two (mostly downloads, cached by pip after the first
run) and is skipped when no package index can be reached.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "searchapp"
# What the build needs, and nothing a user's checkout would not have.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "searchapp")
INSTALL_TIMEOUT = 900

ARTICLES = [
    {
        "id": "hn-tokyo",
        "title": "Việt Nam và Nhật Bản nâng cấp quan hệ",
        "body": "Ngày 15/3/2024, hai bên nhất trí tăng cường hợp tác kinh tế tại Hà Nội.",
        "date": "2024-03-15",
        "source": "Nhân Dân",
        "url": "https://example.vn/bai-1.html",
    },
    {
        "id": "asean",
        "title": "Hội nghị Cấp cao ASEAN lần thứ 43",
        "body": "Thủ tướng dự hội nghị tại Gia-các-ta, thảo luận về Biển Đông và Mê Công.",
        "date": "2023-09-05",
    },
]

# Runs inside the new environment: every GET route through Flask's test client.
ROUTES_SCRIPT = r"""
import json, sys
from pathlib import Path
import searchapp
from searchapp import create_app
from searchapp.config import load_config

app = create_app(load_config(sys.argv[1]))
client = app.test_client()
static = Path(app.static_folder)
urls, unknown = [], []
for rule in app.url_map.iter_rules():
    if "GET" not in rule.methods:
        continue
    path = rule.rule
    if rule.endpoint == "static":
        urls += ["/static/" + p.relative_to(static).as_posix() for p in sorted(static.rglob("*")) if p.is_file()]
        continue
    if "<path:article_id>" in path:
        urls += [path.replace("<path:article_id>", "hn-tokyo"), path.replace("<path:article_id>", "khong-co")]
        continue
    if "<" in path:
        unknown.append(path)
        continue
    urls += [path, path + "?q=Nh%E1%BA%ADt+B%E1%BA%A3n", path + "?q=bien+dong&partner=JP&sort=newest"]
statuses = {url: client.get(url).status_code for url in urls}
print(json.dumps({"package": searchapp.__file__, "statuses": statuses, "unknown": unknown}))
"""


# Loopback only: no proxy from the environment.
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def run(*args, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv python, build log, wheel) with the project installed from its wheel."""
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif (REPO / name).is_file():
            shutil.copy2(REPO / name, source / name)
    venv = folder / "venv"
    # The base interpreter, as a user's own Python: not this virtual environment's.
    base = getattr(sys, "_base_executable", sys.executable)
    made = run(base, "-m", "venv", venv)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    # Nothing of this environment leaks in: not its packages, not its checkout.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    probe = run(python, "-m", "pip", "download", "--no-deps", "-d", folder / "probe", "setuptools>=77", env=env)
    if probe.returncode != 0:
        pytest.skip(f"no package index reachable (pip download failed: {probe.stderr.strip()[-300:]})")
    dist = folder / "dist"
    built = run(python, "-m", "pip", "wheel", "-v", "--no-deps", "-w", dist, source, env=env, cwd=folder)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    [wheel] = dist.glob("searchapp-*.whl")
    done = run(python, "-m", "pip", "install", wheel, env=env, cwd=folder, timeout=INSTALL_TIMEOUT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return python, built.stdout + built.stderr, wheel, env


@pytest.fixture(scope="module")
def project(installed, tmp_path_factory):
    """A tiny corpus and its config, indexed by the installed ``searchapp``."""
    python, _, _, env = installed
    folder = tmp_path_factory.mktemp("wheel-project")
    corpus = folder / "corpus"
    corpus.mkdir()
    for article in ARTICLES:
        (corpus / f"{article['id']}.json").write_text(json.dumps(article, ensure_ascii=False), encoding="utf-8")
    config = folder / "config.toml"
    config.write_text('[corpus]\npath = "corpus"\n\n[index]\npath = "index"\n', encoding="utf-8")
    indexed = run(python.parent / "searchapp", "--config", config, "reindex", env=env, cwd=folder)
    assert indexed.returncode == 0, indexed.stderr
    assert "added 2," in indexed.stdout and "failed 0" in indexed.stdout
    return folder, config


def test_the_wheel_holds_every_template_static_and_data_file(installed):
    _, _, wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        p.relative_to(REPO).as_posix()
        for p in PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    assert expected - names == set()


def test_the_build_warns_about_nothing_of_ours(installed):
    _, log, _, _ = installed
    lines = [line for line in log.splitlines() if "deprecat" in line.lower() or "SetuptoolsWarning" in line]
    assert lines == []


def test_every_imported_distribution_is_installed(installed):
    python, _, _, env = installed
    # lxml_html_clean is imported by jusText (through trafilatura) when a page is extracted.
    checked = run(
        python, "-c", "import lxml_html_clean, trafilatura, searchapp.ingest.page, searchapp.web.app", env=env
    )
    assert checked.returncode == 0, checked.stderr
    extracted = run(
        python,
        "-c",
        "from searchapp.ingest.page import extract_page; "
        "print(extract_page('<html><head><title>Tiêu đề</title></head><body><article><h1>Tiêu đề</h1>"
        "<p>' + 'Hai bên nhất trí tăng cường hợp tác kinh tế và thương mại. ' * 8 + '</p></article></body></html>')"
        ".title)",
        env=env,
    )
    assert extracted.returncode == 0 and "Tiêu đề" in extracted.stdout, extracted.stderr


def test_every_route_answers_without_a_server_error(installed, project):
    python, _, _, env = installed
    folder, config = project
    done = run(python, "-c", ROUTES_SCRIPT, config, env=env, cwd=folder)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert Path(result["package"]).is_relative_to(python.parent.parent), result["package"]
    assert result["unknown"] == []
    statuses = result["statuses"]
    assert {url: code for url, code in statuses.items() if code >= 500} == {}
    for url in ("/", "/opensearch.xml", "/feed.atom", "/api/search?q=Nh%E1%BA%ADt+B%E1%BA%A3n", "/static/style.css"):
        assert statuses.get(url) == 200, (url, statuses.get(url))
    assert statuses["/article/khong-co"] == 404


def test_searchapp_serve_from_the_wheel(installed, project):
    python, _, _, env = installed
    folder, config = project
    port = free_port()
    server = subprocess.Popen(
        [str(python.parent / "searchapp"), "--config", str(config), "serve", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with LOOPBACK.open(f"http://127.0.0.1:{port}/opensearch.xml", timeout=5) as response:
                    status, body = response.status, response.read().decode("utf-8")
                break
            except urllib.error.HTTPError as exc:
                status, body = exc.code, ""
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"the server did not answer: {server.stderr.read() if server.poll() is not None else ''}"
                    )
                time.sleep(0.2)
        assert status == 200 and "<OpenSearchDescription" in body
    finally:
        server.terminate()
        try:
            server.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()

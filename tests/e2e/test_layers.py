"""The layer check (scripts/check-layers.sh, run by `make check-layers` before every `make test`):
the real tree passes, and an include that points up or sideways is caught and named."""

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "check-layers.sh"


def check(app):
    return subprocess.run([str(SCRIPT), str(app)], capture_output=True, text=True, timeout=60)


def test_the_tree_includes_only_downward():
    r = check(REPO / "app")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "every include points down" in r.stdout


@pytest.fixture
def app_copy(tmp_path):
    dst = tmp_path / "app"
    shutil.copytree(REPO / "app", dst)
    return dst


@pytest.mark.parametrize(
    "file, include",
    [
        ("domain/stats.c", "web/app.h"),  # domain calling up into web
        ("http/request.c", "view/view.h"),  # http reaching for a sibling that serves web
        ("http/fcgi_server.c", "store/redis.h"),  # the event loop knowing Redis
        ("core/log.c", "store/db.h"),  # core on a store
        ("store/db.c", "domain/orders.h"),  # a store on the domain
        ("web/app.c", "tools/tools.h"),  # web on the commands
        ("workers/mailer.c", "web/reply.h"),  # a worker on the web layer
    ],
)
def test_an_upward_include_is_named(app_copy, file, include):
    assert_refused_with(app_copy, file, f'#include "{include}"', f'includes "{include}"')


def assert_refused_with(app_copy, file, line, named):
    """The check fails once line is added to file, naming the file and what it included."""
    path = app_copy / file
    path.write_text(path.read_text() + f"\n{line}\n")
    r = check(app_copy)
    assert r.returncode == 1, r.stdout
    assert f"{file}:" in r.stdout and named in r.stdout, r.stdout


def test_a_directory_without_a_rank_is_refused(app_copy):
    (app_copy / "extra").mkdir()
    (app_copy / "extra" / "x.c").write_text('#include "core/log.h"\n')
    r = check(app_copy)
    assert r.returncode == 1
    assert "no rank (extra/)" in r.stdout


@pytest.mark.parametrize(
    "file, library",
    [
        ("http/request.h", "jansson.h"),  # http knowing the API's JSON
        ("workers/mailer.c", "hiredis/hiredis.h"),  # a worker talking to Redis itself
        ("domain/orders.c", "mysql.h"),  # the domain below its store
        ("web/app.c", "fcgiapp.h"),  # web under the event loop
        ("domain/catalog.c", "ctemplate/template.h"),  # templates outside view
    ],
)
def test_another_layers_library_is_named(app_copy, file, library):
    assert_refused_with(app_copy, file, f"#include <{library}>", f"includes <{library}>")

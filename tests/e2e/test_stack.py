"""The two commands' promises: a second stack runs beside the first on its own state dir and
port, `start` again keeps data and starts only what is missing, and `stop` leaves nothing."""
import os
import socket
import subprocess
import tempfile

import pytest

from conftest import free_port, Stack


def port_open(port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def processes_using(state_dir):
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if state_dir in line]


@pytest.fixture(scope="module")
def second():
    state = tempfile.mkdtemp(prefix="firstcome-second.")
    st = Stack.__new__(Stack)
    st.state_dir, st.port = state, free_port()
    st.base = f"http://127.0.0.1:{st.port}"
    out = st.stack_cmd("start", env={"WEB_WORKERS": "2"})
    assert out.returncode == 0, out.stdout + out.stderr
    st.__init__(state, st.port)
    st.first_start = out.stdout
    yield st
    st.stack_cmd("stop")
    subprocess.run(["rm", "-rf", state])


def test_first_start_prints_the_url_and_the_admin_password_once(second):
    assert f"http://127.0.0.1:{second.port}/" in second.first_start
    assert "admin@firstcome.local / " in second.first_start
    again = second.stack_cmd("start")
    assert again.returncode == 0
    assert "admin@firstcome.local / " not in again.stdout


def test_two_stacks_run_side_by_side_with_their_own_data(stack, second):
    assert second.port != stack.port
    assert second.get("/healthz").json()["status"] == "ok"
    assert stack.get("/healthz").json()["status"] == "ok"
    second.sql("INSERT INTO products (name, description, category, price, stock) "
               "VALUES ('only in the second stack', '', 'second', 1, 1)")
    assert second.get("/api/v1/products?category=second").json()["total"] == 1
    assert stack.get("/api/v1/products?category=second").json()["total"] == 0


def test_starting_again_keeps_data_and_starts_nothing_new(second):
    pids = {n: second.pid(n) for n in ("mysql", "redis", "devbroker", "web", "nginx")}
    out = second.stack_cmd("start")
    assert out.returncode == 0, out.stderr
    for n in ("mysql", "redis", "web", "nginx"):
        assert f"{n}: running" in out.stdout
    assert {n: second.pid(n) for n in pids} == pids
    assert second.get("/api/v1/products?category=second").json()["total"] == 1


def test_stop_then_start_keeps_the_data(second):
    assert second.stack_cmd("stop").returncode == 0
    out = second.stack_cmd("start")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "demo data already loaded" in out.stdout
    assert second.get("/api/v1/products?category=second").json()["total"] == 1


def test_start_refuses_an_ops_allow_that_is_not_addresses(second):
    """OPS_ALLOW becomes nginx allow directives: anything else stops the start with its name,
    rather than an nginx that answers every /metrics and /healthz 403."""
    assert second.stack_cmd("stop").returncode == 0
    out = second.stack_cmd("start", env={"OPS_ALLOW": "10.0.0.0/8; allow all"})
    assert out.returncode != 0
    assert "OPS_ALLOW" in out.stdout + out.stderr
    assert not port_open(second.port)
    out = second.stack_cmd("start")
    assert out.returncode == 0, out.stdout + out.stderr
    assert second.get("/healthz").status_code == 200


def test_stop_leaves_no_process_and_no_open_port(second):
    pids = [second.pid(n) for n in ("mysql", "redis", "devbroker", "web", "nginx")]
    assert port_open(second.port)
    out = second.stack_cmd("stop")
    assert out.returncode == 0, out.stderr
    assert not any(os.path.exists(f"/proc/{p}") for p in pids)
    assert processes_using(second.state_dir) == []
    assert not port_open(second.port)
    assert not os.listdir(os.path.join(second.state_dir, "pids"))


def processes_with_state_dir(state_dir):
    """Every process whose environment or command line names this state dir (Redis rewrites
    both into its title), as {pid: (parent pid, "comm: command line")}."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read().split(b"\0")
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = comm + ": " + f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"STATE_DIR={state_dir}".encode() in env or state_dir + "/" in cmd:
            found[int(pid)] = (ppid, cmd)
    return found


def test_two_starts_at_once_make_one_stack_that_stop_stops_entirely():
    state = tempfile.mkdtemp(prefix="firstcome-race.")
    st = Stack.__new__(Stack)
    st.state_dir, st.port = state, free_port()
    e = dict(os.environ, STATE_DIR=state, HTTP_PORT=str(st.port), WEB_WORKERS="1")
    script = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "stack.sh")
    try:
        starts = [subprocess.Popen([script, "start"], env=e, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=240)[0] for p in starts]
        assert [p.returncode for p in starts] == [0, 0], "\n---\n".join(outs)
        procs = processes_with_state_dir(state)
        cmds = [cmd for _, cmd in procs.values()]
        assert sum(c.startswith("mariadbd: ") for c in cmds) == 1, cmds
        assert sum(c.startswith("redis-server: ") for c in cmds) == 1, cmds
        assert sum(c.endswith(" devbroker ") for c in cmds) == 1, cmds
        nginx_masters = [p for p, (pp, c) in procs.items()
                         if c.startswith("nginx: ") and not procs.get(pp, (0, ""))[1].startswith("nginx: ")]
        assert len(nginx_masters) == 1, cmds
        # Every process is one the pid files name, or a child of one: nothing stop would miss.
        named = {int(open(os.path.join(state, "pids", f)).read()) for f in os.listdir(os.path.join(state, "pids"))}
        for pid, (ppid, cmd) in procs.items():
            assert pid in named or ppid in named or procs.get(ppid, (0,))[0] in named, (cmd, named)
    finally:
        out = subprocess.run([script, "stop"], env=e, capture_output=True, text=True, timeout=180)
        left = processes_with_state_dir(state)
        subprocess.run(["rm", "-rf", state])
    assert out.returncode == 0, out.stdout + out.stderr
    assert left == {}, left

"""bench/cpu.py: the CPU a stack's processes spent, by the component their pid file names. Needs no
stack: processes that burn a known amount of CPU stand in for its servers."""
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CPU = os.path.join(ROOT, "bench", "cpu.py")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

# Burns SECONDS of CPU in the calling thread, then touches DONE and stays alive.
BURN = """
import sys, threading, time
def burn(s):
    while time.thread_time() < s:
        pass
"""
# A web server: two threads of 0.3 s each, and a child of 0.3 s that exits and is reaped.
WEB = BURN + """
import subprocess
subprocess.run([sys.executable, "-c", "import time\\nwhile time.thread_time() < 0.3: pass"])
ts = [threading.Thread(target=burn, args=(0.3,)) for _ in range(2)]
[t.start() for t in ts]
[t.join() for t in ts]
open(sys.argv[1], "w").close()
time.sleep(60)
"""
# A worker below the supervisor: 0.4 s, and alive.
COUPON = BURN + """
burn(0.4)
open(sys.argv[1], "w").close()
time.sleep(60)
"""


def started(pids, name, *argv):
    p = subprocess.Popen(argv)
    (pids / f"{name}.pid").write_text(f"{p.pid}\n")
    return p


def test_each_component_counts_its_threads_its_reaped_children_and_its_workers(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    web = started(pids, "web", PYTHON, "-c", WEB, str(tmp_path / "web.done"))
    # The supervisor (workers.pid) starts the coupon worker, which has a pid file of its own.
    sup = subprocess.Popen(["bash", "-c", f'{PYTHON} -c "$0" "$1" & echo $! > "$2"; wait',
                            COUPON, str(tmp_path / "coupon.done"), str(pids / "worker-coupon-0.pid")])
    (pids / "workers.pid").write_text(f"{sup.pid}\n")
    try:
        deadline = time.time() + 30
        while not all((tmp_path / f).exists() for f in ("web.done", "coupon.done")) and time.time() < deadline:
            time.sleep(0.05)
        subprocess.run([PYTHON, CPU, "snap", str(tmp_path), str(tmp_path / "snap.json")], check=True)
        cpu = json.loads((tmp_path / "snap.json").read_text())["cpu"]
    finally:
        coupon = (pids / "worker-coupon-0.pid").read_text().strip()
        if coupon:
            os.kill(int(coupon), 9)
        web.kill()
        sup.kill()
        web.wait()
        sup.wait()
    assert 0.85 <= cpu["web"] < 1.5  # 0.3 s in each of two threads and in the reaped child
    assert 0.38 <= cpu["coupon"] < 0.8
    assert cpu.get("other workers", 0.0) < 0.1  # the supervisor itself, not its coupon worker
    assert set(cpu) <= {"web", "coupon", "other workers"}

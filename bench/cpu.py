"""CPU time a stack's processes spent, by component, for `make bench`'s cost per request.

  cpu.py snap STATE_DIR FILE                   the CPU so far, saved in FILE
  cpu.py since STATE_DIR FILE NAME [--settle]  one line "NAME wall=S COMPONENT=S ..." of what was
                                               spent since FILE's snapshot; --settle first waits
                                               until the background (workers, broker, stores)
                                               has gone quiet, so that its catching up is counted

A component is what a pid file in STATE_DIR/pids names (nginx, web, redis, mysql, devbroker, each
kind of worker) with every process below it; a process counts all its threads (utime + stime of
/proc/PID/stat) and the children it has reaped (cutime + cstime), so a web worker that exited
during the window still counts. Worker kinds other than coupon, order, shipment, notify and relay,
and the workers' supervisor, are "other workers"."""
import json
import os
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")
KINDS = ("coupon", "order", "shipment", "notify", "relay")
# What settling watches: the processes that keep working after the last response.
BACKGROUND = ("redis", "mysql", "devbroker", "other workers") + KINDS
QUIET = 0.08  # CPU seconds a second (8% of a core) in two intervals in a row: caught up
INTERVAL = 0.25
SETTLE_MAX = 60


def component(pidfile):
    """The component a pid file's process belongs to (None for one this report does not show)."""
    name = pidfile[:-4]
    if name in ("nginx", "mysql", "devbroker"):
        return name
    if name == "web" or name.startswith("web-"):
        return "web"
    if name == "redis" or name.startswith("redis-"):
        return "redis"
    if name.startswith("worker-"):
        kind = name.split("-")[1]
        return kind if kind in KINDS else "other workers"
    if name == "workers":
        return "other workers"
    return None


def processes():
    """{pid: (ppid, CPU seconds of its threads and reaped children)} for every process."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        ppid, ticks = int(fields[1]), sum(int(x) for x in fields[11:15])
        out[int(d)] = (ppid, ticks / TICK)
    return out


def roots(state):
    """{pid: component} from the stack's pid files."""
    out, pids = {}, os.path.join(state, "pids")
    for name in sorted(os.listdir(pids)) if os.path.isdir(pids) else []:
        comp = component(name) if name.endswith(".pid") else None
        try:
            pid = int(open(os.path.join(pids, name)).read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        # A worker's own pid file is more precise than its supervisor's tree.
        if comp and (pid not in out or out[pid] == "other workers"):
            out[pid] = comp
    return out


def snapshot(state):
    """{component: CPU seconds} of the stack's processes, each counted under its nearest listed
    ancestor (or itself)."""
    procs, top = processes(), roots(state)
    totals = {}
    for pid, (_, secs) in procs.items():
        p, seen = pid, 0
        while p not in top and p in procs and seen < 64:
            p, seen = procs[p][0], seen + 1
        if p in top:
            totals[top[p]] = totals.get(top[p], 0.0) + secs
    return totals


def settle(state):
    """Waits until the background spends less than QUIET a second for two intervals in a row."""
    last, calm, t0 = snapshot(state), 0, time.time()
    while calm < 2 and time.time() - t0 < SETTLE_MAX:
        time.sleep(INTERVAL)
        now = snapshot(state)
        busy = sum(now.get(k, 0) - last.get(k, 0) for k in BACKGROUND) / INTERVAL
        calm = calm + 1 if busy < QUIET else 0
        last = now


def main(argv):
    if len(argv) < 4 or argv[1] not in ("snap", "since"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    state, path = argv[2], argv[3]
    if argv[1] == "snap":
        with open(path, "w") as f:
            json.dump({"wall": time.time(), "cpu": snapshot(state)}, f)
        return 0
    if "--settle" in argv[5:]:
        settle(state)
    before, now = json.load(open(path)), snapshot(state)
    spent = {k: max(0.0, v - before["cpu"].get(k, 0.0)) for k, v in sorted(now.items())}
    print(f"{argv[4]} wall={time.time() - before['wall']:.3f} "
          + " ".join(f"{k.replace(' ', '_')}={v:.3f}" for k, v in spent.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

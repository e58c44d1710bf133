"""Waiting rooms when Redis goes away while people wait and join.

Redis keeps its append-only file, written every second: a restart (Redis stopped and started)
loses nobody's place; a crash loses at most the last second of joins, and a person whose place
was lost is told so on the waiting page."""
import concurrent.futures as cf
import os
import signal
import threading
import time

import requests

from conftest import (auth, campaign_starting_in, csrf_of, join, make_room, page_session, place,
                      pool, wait_until)
from test_stock_gate import redis_restart, start_redis


def tickets(stack, room):
    return {int(u): int(t) for u, t in stack.redis().hgetall(f"{{r:{room}}}:tickets").items()}


def joiners(stack, room, users, stop):
    """Joins users one after another until stop is set, retrying a join Redis failed; returns
    {user id: time its join was answered 200}."""
    answered = {}

    def one(part):
        with requests.Session() as s:
            for uid, token in part:
                while not stop.is_set():
                    try:
                        r = s.post(stack.url(f"/api/v1/rooms/{room}/join"), headers=auth(token), timeout=30)
                        if r.status_code == 200:
                            answered[uid] = time.monotonic()
                            break
                        assert r.status_code == 503, r.text
                    except requests.RequestException:
                        pass
                    time.sleep(0.05)
    with cf.ThreadPoolExecutor(4) as ex:
        list(ex.map(one, [users[i::4] for i in range(4)]))
    return answered


def test_a_redis_restart_while_people_wait_and_join_loses_no_place(stack, admin):
    cid = campaign_starting_in(stack, admin, 2)
    room = make_room(stack, admin, item="campaign", item_id=cid, rate=5, prequeue_seconds=600)["id"]
    early, late = pool(stack, 40), pool(stack, 80)
    for _, t in early:
        join(stack, t, room)
    time.sleep(2.5)  # opened and shuffled
    wait_until("the shuffle", lambda: len(tickets(stack, room)) == 40, timeout=10)
    stop = threading.Event()
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("answered", joiners(stack, room, late, stop)))
    t.start()
    time.sleep(0.5)
    before = tickets(stack, room)
    serving = int(stack.redis().get(f"{{r:{room}}}:serving") or 0)
    redis_restart(stack)  # while the joins go on
    t.join(60)
    stop.set()
    after = tickets(stack, room)
    # Everyone who had a place has the same one; everyone who was answered has one; no ticket
    # is given twice; admissions go on from where they were.
    assert all(after.get(u) == n for u, n in before.items())
    assert set(box["answered"]) <= set(after) and len(box["answered"]) == 80
    assert sorted(after.values()) == list(range(1, len(after) + 1))
    assert int(stack.redis().get(f"{{r:{room}}}:serving") or 0) >= serving
    for uid, token in early[:5]:
        assert place(stack, token, room)["ticket"] == after[uid]


def test_a_redis_crash_loses_at_most_the_last_second_and_the_page_says_so(stack, admin):
    cid = campaign_starting_in(stack, admin, 1)
    room = make_room(stack, admin, item="campaign", item_id=cid, rate=1, prequeue_seconds=600)["id"]
    time.sleep(1.5)
    people = pool(stack, 30)
    u = stack.user()
    s = page_session(stack, u["email"], u["password"])
    page = s.get(stack.url(f"/rooms/{room}"))
    assert s.post(stack.url(f"/rooms/{room}/join"), data={"csrf": csrf_of(page.text)}).status_code == 200
    joined = {}
    for uid, token in people:
        join(stack, token, room)
        joined[uid] = time.monotonic()
    time.sleep(1.5)  # everything so far is older than a second: on disk
    pid = stack.pid("redis")
    os.kill(pid, signal.SIGKILL)
    wait_until("redis to die", lambda: not os.path.exists(f"/proc/{pid}"), timeout=10, every=0.02)
    killed = time.monotonic()
    start_redis(stack)
    after = tickets(stack, room)
    kept = [uid for uid, at in joined.items() if killed - at > 1.2]
    assert kept and all(uid in after for uid in kept), "a place older than a second was lost"
    assert sorted(after.values()) == list(range(1, len(after) + 1))
    # A person whose place is gone is told so, and may join again.
    stack.redis().hdel(f"{{r:{room}}}:tickets", str(u["id"]))  # as if it had been in the lost second
    text = s.get(stack.url(f"/rooms/{room}")).text
    assert "your place in this queue was lost" in text and "Join the queue" in text

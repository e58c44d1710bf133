"""Waiting rooms in front of a sale: one place per person, the pre-queue shuffled at the start,
arrival order after it, admission at the room's rate, and where a person stands."""
import concurrent.futures as cf
import datetime as dt
import json
import os
import signal
import time
import uuid

import requests

from conftest import (assert_error, auth, campaign_starting_in, csrf_of, iso, join, make_room, page_session,
                      place, pool, wait_until)


def test_a_room_is_made_by_an_admin_for_an_item_with_a_start(stack, admin):
    cid = campaign_starting_in(stack, admin, 600)
    u = stack.user()
    assert_error(stack.post("/api/v1/admin/rooms", {"item": "campaign", "item_id": cid, "rate": 10},
                            token=u["access"]), 403)
    for bad in ({"item": "shop", "item_id": cid, "rate": 10}, {"item": "campaign", "item_id": cid},
                {"item": "campaign", "item_id": cid, "rate": 0},
                {"item": "campaign", "item_id": cid, "rate": 10, "pass_seconds": 5}):
        assert_error(stack.post("/api/v1/admin/rooms", bad, token=admin["access"]), 422, "invalid_room")
    assert_error(stack.post("/api/v1/admin/rooms", {"item": "campaign", "item_id": 999999999, "rate": 5},
                            token=admin["access"]), 404)
    pid = stack.post("/api/v1/admin/products", {"name": "No sale start", "description": "",
                                                "category": "test", "price": 100, "stock": 5},
                     token=admin["access"]).json()["product"]["id"]
    assert_error(stack.post("/api/v1/admin/rooms", {"item": "product", "item_id": pid, "rate": 5},
                            token=admin["access"]), 422, "no_sale_start")
    room = make_room(stack, admin, item="campaign", item_id=cid, rate=25, prequeue_seconds=300)
    assert room["item"] == {"kind": "campaign", "id": cid}
    assert room["rate"] == 25 and room["pass_seconds"] == 300 and room["open"] is False
    assert_error(stack.post("/api/v1/admin/rooms", {"item": "campaign", "item_id": cid, "rate": 5},
                            token=admin["access"]), 409, "room_exists")
    assert requests.get(stack.url(f"/api/v1/rooms/{room['id']}")).json()["room"]["id"] == room["id"]
    # Too early: the pre-queue opens prequeue_seconds before the start.
    late = make_room(stack, admin, item="campaign", item_id=campaign_starting_in(stack, admin, 3600),
                     rate=5, prequeue_seconds=60)
    r = requests.post(stack.url(f"/api/v1/rooms/{late['id']}/join"), headers=auth(u), timeout=30)
    assert_error(r, 403, "too_early")
    assert place(stack, u["access"], late["id"])["state"] == "out"


def test_the_pre_queue_is_shuffled_at_the_start_and_later_arrivals_queue_in_order(stack, admin):
    early, later = pool(stack, 40), pool(stack, 10)  # before the clock starts: logins are slow
    start_in = 6
    cid = campaign_starting_in(stack, admin, start_in)
    t0 = time.time()
    room = make_room(stack, admin, item="campaign", item_id=cid, rate=20, prequeue_seconds=600)
    # 40 people join before the start, concurrently, each twice: one place each, no ticket yet.
    with cf.ThreadPoolExecutor(16) as ex:
        first = list(ex.map(lambda u: join(stack, u[1], room["id"]), early + early))
    assert time.time() - t0 < start_in - 0.5, "joined too late for the test"
    assert {p["state"] for p in first} == {"prequeue"} and {p["ticket"] for p in first} == {0}
    assert requests.get(stack.url(f"/api/v1/rooms/{room['id']}")).json()["room"]["prequeue"] == 40
    # After the start: the pre-queue holds tickets 1..40 in a random order.
    while time.time() - t0 < start_in + 0.5:
        time.sleep(0.1)
    tickets = {}
    deadline = time.time() + 10
    while len(tickets) < 40 and time.time() < deadline:
        tickets = {uid: p["ticket"] for uid, p in ((uid, place(stack, t, room["id"])) for uid, t in early)
                   if p["state"] in ("waiting", "admitted")}
        time.sleep(0.2)
    assert sorted(tickets.values()) == list(range(1, 41))
    joined_order = [tickets[uid] for uid, _ in early]
    assert joined_order != sorted(joined_order), "the pre-queue kept its arrival order"
    # Later arrivals get the next tickets in the order they came, and joining again keeps them.
    got = [join(stack, t, room["id"])["ticket"] for _, t in later]
    assert got == list(range(41, 51))
    assert [join(stack, t, room["id"])["ticket"] for _, t in later] == got
    # Redis keeps one ticket per person: 50 in all.
    assert stack.redis().hlen(f"{{r:{room['id']}}}:tickets") == 50


def test_a_join_after_the_start_is_never_shuffled_in_with_the_pre_queue(stack, admin):
    """The rooms worker shuffles the pre-queue at its first tick after the start; a person who
    joins in between shuffles it first and takes the next place. The worker is stopped here so
    that nobody else does."""
    early, later = pool(stack, 5), pool(stack, 5)
    cid = campaign_starting_in(stack, admin, 3)
    room = make_room(stack, admin, item="campaign", item_id=cid, rate=1, prequeue_seconds=600)
    assert {join(stack, t, room["id"])["state"] for _, t in early} == {"prequeue"}
    worker = stack.pid("worker-rooms-0")
    os.kill(worker, signal.SIGSTOP)
    try:
        opens = dt.datetime.strptime(room["opens_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
        while dt.datetime.now(dt.timezone.utc) < opens + dt.timedelta(seconds=0.3):
            time.sleep(0.05)
        got = [join(stack, t, room["id"]) for _, t in later]
        assert [p["ticket"] for p in got] == [6, 7, 8, 9, 10], got
        assert sorted(place(stack, t, room["id"])["ticket"] for _, t in early) == [1, 2, 3, 4, 5]
    finally:
        os.kill(worker, signal.SIGCONT)


def test_people_are_admitted_at_the_rooms_rate_and_know_where_they_stand(stack, admin):
    rate, n = 10, 100
    people = pool(stack, n)
    cid = campaign_starting_in(stack, admin, 1)
    room = make_room(stack, admin, item="campaign", item_id=cid, rate=rate, prequeue_seconds=600)
    time.sleep(1.5)
    places = [join(stack, t, room["id"]) for _, t in people]  # after the start: arrival order
    assert [p["ticket"] for p in places] == list(range(1, n + 1))
    # Where the last one stands: everyone before them not yet admitted is ahead of them.
    me = place(stack, people[-1][1], room["id"])
    assert me["state"] == "waiting" and n - 1 - 4 * rate <= me["ahead"] <= n - 1, me
    assert me["wait_seconds"] == -(-(me["ahead"] + 1) // rate)
    # Admissions follow the rate: serving moves by about `rate` a second (measured after the
    # first second, which may admit the one second's credit the empty room had kept).
    def admitted():
        return requests.get(stack.url(f"/api/v1/rooms/{room['id']}")).json()["room"]["admitted"]
    time.sleep(1)
    a0, t0 = admitted(), time.time()
    time.sleep(3)
    a1, t1 = admitted(), time.time()
    measured = (a1 - a0) / (t1 - t0)
    assert 0.75 * rate <= measured <= 1.25 * rate, measured
    # Nobody is admitted past the last ticket given, and the first are admitted in order.
    deadline = time.time() + 15
    while admitted() < n and time.time() < deadline:
        time.sleep(0.2)
    assert admitted() == n
    assert place(stack, people[0][1], room["id"])["state"] == "admitted"
    time.sleep(1)
    assert admitted() == n
    # A person who comes now, to an empty room, is admitted within a tick or two, not in a burst.
    newcomer = pool(stack, 1)[0][1]
    assert join(stack, newcomer, room["id"])["ticket"] == n + 1
    deadline = time.time() + 3
    while place(stack, newcomer, room["id"])["state"] != "admitted" and time.time() < deadline:
        time.sleep(0.1)
    assert place(stack, newcomer, room["id"])["state"] == "admitted"


def pass_of(stack, token, room, timeout=12):
    """The caller's pass once they are admitted (joining first)."""
    join(stack, token, room)
    deadline = time.time() + timeout
    while time.time() < deadline:
        p = place(stack, token, room)
        if p["state"] == "admitted":
            assert p["pass"] and p["pass_expires_at"]
            return p["pass"]
        time.sleep(0.1)
    raise AssertionError(f"not admitted: {p}")


def signed(stack, claims):
    import jwt
    return jwt.encode(claims, stack.env["JWT_SECRET"], algorithm="HS256")


def claim(stack, token, cid, room_pass=None):
    headers = auth(token)
    if room_pass:
        headers["X-Room-Pass"] = room_pass
    return requests.post(stack.url(f"/api/v1/coupons/{cid}/claim"), headers=headers, timeout=30)


def until_guarded(stack, token, cid):
    """A new room guards its item in every web worker within two seconds."""
    deadline = time.time() + 6
    while time.time() < deadline:
        r = claim(stack, token, cid)
        if r.status_code == 403 and r.json()["error"]["code"] == "room_pass_required":
            return r
        assert r.status_code == 403 and r.json()["error"]["code"] == "not_started", r.text
        time.sleep(0.2)
    raise AssertionError(r.text)


def test_with_a_room_on_only_a_valid_pass_claims_and_only_once(stack, admin):
    cid = campaign_starting_in(stack, admin, 4)  # the room guards it before it opens
    room = make_room(stack, admin, item="campaign", item_id=cid, rate=100, pass_seconds=120)
    (uid, token), (other_id, other) = pool(stack, 2)
    refusal = until_guarded(stack, token, cid)
    assert f"/rooms/{room['id']}" in refusal.json()["error"]["message"]
    mine = pass_of(stack, token, room["id"])
    theirs = pass_of(stack, other, room["id"])
    now = int(time.time())
    refused = {
        "forged": signed(stack, {"typ": "pass", "sub": str(uid), "room": room["id"], "exp": now + 60})[:-3] + "abc",
        "someone else's": theirs,
        "expired": signed(stack, {"typ": "pass", "sub": str(uid), "room": room["id"], "exp": now - 1}),
        "another room's": signed(stack, {"typ": "pass", "sub": str(uid), "room": room["id"] + 1, "exp": now + 60}),
        "not a pass": signed(stack, {"typ": "access", "sub": str(uid), "room": room["id"], "exp": now + 60}),
        "garbage": "x" * 5000,
    }
    for why, p in refused.items():
        r = claim(stack, token, cid, p)
        assert r.status_code == 403 and r.json()["error"]["code"] == "room_pass_required", (why, r.text)
    r = claim(stack, token, cid, mine)
    assert r.status_code in (201, 202), r.text
    # The same pass again: used.
    r = claim(stack, token, cid, mine)
    assert r.status_code == 403 and r.json()["error"]["code"] == "pass_used", r.text
    assert stack.sql("SELECT COUNT(*) AS n FROM user_coupons WHERE coupon_id = %s AND user_id = %s",
                     cid, uid)[0]["n"] == 1
    # Nobody claimed without a pass: one coupon, the pass holder's.
    assert stack.sql("SELECT COUNT(*) AS n FROM user_coupons WHERE coupon_id = %s", cid)[0]["n"] == 1


def test_a_checkout_needs_the_pass_and_a_failed_one_does_not_spend_it(stack, admin):
    r = stack.post("/api/v1/admin/products", {"name": "Room sale " + uuid.uuid4().hex[:6], "description": "",
                                              "category": "test", "price": 1000, "stock": 5,
                                              "sale_starts_at": iso(4), "per_user_limit": 2},
                   token=admin["access"])
    assert r.status_code == 201, r.text
    pid = r.json()["product"]["id"]
    room = make_room(stack, admin, item="product", item_id=pid, rate=100, pass_seconds=120)
    (uid, token), = pool(stack, 1)
    body = {"items": [{"product_id": pid, "quantity": 1}]}
    deadline = time.time() + 6
    while time.time() < deadline:
        r = requests.post(stack.url("/api/v1/orders"), json=body, headers=auth(token), timeout=30)
        if r.status_code == 403 and r.json()["error"]["code"] == "room_pass_required":
            break
        assert r.status_code == 403 and r.json()["error"]["code"] == "sale_not_started", r.text
        time.sleep(0.2)
    assert r.json()["error"]["code"] == "room_pass_required", r.text
    mine = pass_of(stack, token, room["id"])  # after the start
    headers = {**auth(token), "X-Room-Pass": mine}
    # Refused by the sale itself (over the per-person limit): the pass is not spent.
    r = requests.post(stack.url("/api/v1/orders"), json={"items": [{"product_id": pid, "quantity": 3}]},
                      headers=headers, timeout=30)
    assert r.status_code == 409 and r.json()["error"]["code"] == "limit_exceeded", r.text
    r = requests.post(stack.url("/api/v1/orders"), json=body, headers=headers, timeout=30)
    assert r.status_code == 201, r.text
    r = requests.post(stack.url("/api/v1/orders"), json=body, headers=headers, timeout=30)
    assert r.status_code == 403 and r.json()["error"]["code"] == "pass_used", r.text
    assert stack.sql("SELECT COUNT(*) AS n FROM order_items WHERE product_id = %s", pid)[0]["n"] == 1


def test_operators_see_each_rooms_people_on_the_admin_page_and_in_metrics(stack, admin):
    from conftest import csrf_of, page_session
    import re
    cid = campaign_starting_in(stack, admin, 1)
    s = page_session(stack, admin["email"], admin["password"])
    page = s.get(stack.url("/admin/rooms"))
    assert page.status_code == 200
    r = s.post(stack.url("/admin/rooms"), data={"csrf": csrf_of(page.text), "item": "campaign",
                                               "item_id": str(cid), "rate": "50", "pass_seconds": "",
                                               "prequeue_seconds": ""})
    assert r.status_code == 201 and "The waiting room is made" in r.text, r.text[:500]
    room = stack.sql("SELECT id, pass_seconds, prequeue_seconds FROM rooms WHERE item_kind = 'campaign'"
                     " AND item_id = %s", cid)[0]
    assert (room["pass_seconds"], room["prequeue_seconds"]) == (300, 600), "blank fields take the defaults"
    r = s.post(stack.url("/admin/rooms"), data={"csrf": csrf_of(page.text), "item": "campaign",
                                               "item_id": str(cid), "rate": "0"})
    assert r.status_code == 422 and "rate" in r.text
    people = pool(stack, 5)
    time.sleep(1.2)
    for _, t in people:
        join(stack, t, room["id"])
    pass_of(stack, people[0][1], room["id"])
    deadline = time.time() + 5
    while time.time() < deadline:
        text = stack.get("/metrics").text
        figures = dict(re.findall(r'^firstcome_room_people\{room="%d",state="([a-z]+)"\} (\d+)$' % room["id"],
                                  text, re.M))
        if figures.get("admitted") == "5":
            break
        time.sleep(0.2)
    assert figures == {"prequeue": "0", "waiting": "0", "admitted": "5", "turns": "1", "used": "0",
                       "left": "0"}, figures
    listed = s.get(stack.url("/admin/rooms")).text
    assert f'href="/rooms/{room["id"]}"' in listed
    listed_api = stack.get("/api/v1/admin/rooms", headers=auth(admin)).json()["items"]
    mine = next(x for x in listed_api if x["id"] == room["id"])
    assert (mine["admitted"], mine["turns"], mine["used"]) == (5, 1, 0)
    # The page turns a room off and on; a room made there may wait for its threshold.
    assert f'action="/admin/rooms/{room["id"]}/switch"' in listed and 'data-room-on="1"' in listed
    r = s.post(stack.url(f"/admin/rooms/{room['id']}/switch"), data={"csrf": csrf_of(listed), "on": "0"})
    assert r.status_code == 200 and r.url.endswith("/admin/rooms")
    assert stack.sql("SELECT turned_off FROM rooms WHERE id = %s", room["id"])[0]["turned_off"] == 1
    assert s.post(stack.url(f"/admin/rooms/{room['id']}/switch"),
                  data={"csrf": csrf_of(listed), "on": "x"}).status_code == 422
    other = campaign_starting_in(stack, admin, 600)
    r = s.post(stack.url("/admin/rooms"), data={"csrf": csrf_of(listed), "item": "campaign",
                                               "item_id": str(other), "rate": "50", "threshold": "300"})
    assert r.status_code == 201 and "Off until 300/s" in r.text, r.text[:500]


def test_admissions_pass_over_people_who_left(stack, admin):
    rate = 2
    people = pool(stack, 16)
    cid = campaign_starting_in(stack, admin, 1)
    room = make_room(stack, admin, item="campaign", item_id=cid, rate=rate, prequeue_seconds=600)
    time.sleep(1.5)
    tickets = [join(stack, t, room["id"])["ticket"] for _, t in people]
    assert tickets == list(range(1, 17))
    last = people[-1][1]
    ahead_before = place(stack, last, room["id"])["ahead"]
    # Ten of the people ahead of the last one leave (the last five of them, and five more).
    leavers = people[5:15]
    for _, t in leavers:
        r = requests.delete(stack.url(f"/api/v1/rooms/{room['id']}/join"), headers=auth(t), timeout=30)
        assert r.status_code == 200 and r.json()["place"]["state"] == "out", r.text
    me = place(stack, last, room["id"])
    assert me["ahead"] <= ahead_before - 10, (ahead_before, me)
    # The last one is let in after the five who stayed, at the rate: not after fifteen.
    t0 = time.time()
    while place(stack, last, room["id"])["state"] != "admitted" and time.time() - t0 < 12:
        time.sleep(0.1)
    waited = time.time() - t0
    assert place(stack, last, room["id"])["state"] == "admitted"
    assert waited < (15 - 10) / rate + 2, waited
    listed = requests.get(stack.url(f"/api/v1/rooms/{room['id']}")).json()["room"]
    assert listed["left"] == 10
    # Leaving after admission gives nothing back; joining again is a new place at the end.
    r = requests.delete(stack.url(f"/api/v1/rooms/{room['id']}/join"), headers=auth(last), timeout=30)
    assert r.json()["place"]["state"] == "admitted"
    assert join(stack, leavers[0][1], room["id"])["ticket"] == 17


def test_pages_keep_a_pass_for_each_room_so_one_person_claims_behind_two_rooms(stack, admin):
    cids = [campaign_starting_in(stack, admin, 4) for _ in range(2)]
    rooms = [make_room(stack, admin, item="campaign", item_id=c, rate=100, pass_seconds=120)["id"]
             for c in cids]
    u, (_, probe) = stack.user(), pool(stack, 1)[0]
    for c in cids:
        until_guarded(stack, probe, c)
    s = page_session(stack, u["email"], u["password"])
    for room in rooms:
        join(stack, u["access"], room)
    deadline = time.time() + 15
    for room in rooms:  # the waiting page's question: once admitted, it sets the room's cookie
        while s.get(stack.url(f"/rooms/{room}/place"), timeout=30).json()["place"]["state"] != "admitted":
            assert time.time() < deadline, "not admitted"
            time.sleep(0.2)
    assert all(s.cookies.get(f"room_pass_{room}") for room in rooms), s.cookies.keys()
    for c in cids:
        token = csrf_of(s.get(stack.url(f"/coupons/{c}"), timeout=30).text)
        r = s.post(stack.url(f"/coupons/{c}/claim"), data={"csrf": token}, allow_redirects=False, timeout=30)
        assert r.status_code in (201, 202), r.text
    wait_until("both claims written", lambda: stack.sql(
        "SELECT COUNT(*) AS n FROM user_coupons WHERE user_id = %s AND coupon_id IN (%s, %s)",
        u["id"], *cids)[0]["n"] == 2, 15)


def test_a_room_with_a_threshold_turns_itself_on_when_a_second_brings_more(stack, admin):
    cid = campaign_starting_in(stack, admin, 1)
    room = make_room(stack, admin, item="campaign", item_id=cid, rate=100, threshold=20)
    assert room["on"] is False and room["threshold"] == 20
    people = pool(stack, 90)
    time.sleep(2.5)  # every web worker has read the room (the guard list is read every 2 s)
    # Below the threshold, claims go straight through.
    for _, t in people[:3]:
        r = claim(stack, t, cid)
        assert r.status_code in (201, 202), r.text
        time.sleep(0.4)
    # A burst above it turns the room on; from then on a claim needs the pass.
    with cf.ThreadPoolExecutor(40) as ex:
        codes = list(ex.map(lambda p: claim(stack, p[1], cid).status_code, people[3:83]))
    assert 403 in codes and set(codes) <= {201, 202, 403}, codes
    for _, t in people[83:]:
        r = claim(stack, t, cid)
        assert r.status_code == 403 and r.json()["error"]["code"] == "room_pass_required", r.text
    row = stack.sql("SELECT switched_on_at FROM rooms WHERE id = %s", room["id"])[0]
    assert row["switched_on_at"] is not None
    got = requests.get(stack.url(f"/api/v1/rooms/{room['id']}")).json()["room"]
    assert got["on"] is True and got["switched_on_at"]
    # Redis losing the switch does not turn it off: MySQL has it.
    stack.redis().hdel(f"{{r:{room['id']}}}:meta", "on")
    time.sleep(2.5)
    assert claim(stack, people[-1][1], cid).status_code == 403


def switch(stack, admin, room, on):
    r = requests.patch(stack.url(f"/api/v1/admin/rooms/{room}"), json={"on": on}, headers=auth(admin), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["room"]


def test_an_admin_turns_a_room_off_and_on_again(stack, admin):
    (uid, token), (_, probe), (_, again) = pool(stack, 3)
    cid = campaign_starting_in(stack, admin, 4)  # the room guards it before it opens
    room = make_room(stack, admin, item="campaign", item_id=cid, rate=1, prequeue_seconds=600)
    until_guarded(stack, probe, cid)
    assert switch(stack, admin, room["id"], False)["on"] is False
    deadline = time.time() + 6  # every worker follows within the guard list's 2 s
    while (r := claim(stack, token, cid)).status_code == 403 and time.time() < deadline + 4:
        assert r.json()["error"]["code"] in ("room_pass_required", "not_started"), r.text
        time.sleep(0.2)
    assert r.status_code in (201, 202), r.text
    wait_until("the claim written", lambda: stack.sql(
        "SELECT COUNT(*) AS n FROM user_coupons WHERE coupon_id = %s AND user_id = %s", cid, uid)[0]["n"] == 1, 15)
    u = stack.user()
    s = page_session(stack, u["email"], u["password"])
    assert "There is no queue for this sale right now" in s.get(stack.url(f"/rooms/{room['id']}"), timeout=30).text
    assert switch(stack, admin, room["id"], True)["on"] is True
    time.sleep(2.5)  # every worker has read the list again
    r = claim(stack, again, cid)
    assert r.status_code == 403 and r.json()["error"]["code"] == "room_pass_required", r.text


def test_turning_a_room_takes_a_clear_on_or_off_and_an_admin(stack, admin):
    cid = campaign_starting_in(stack, admin, 600)
    room = make_room(stack, admin, item="campaign", item_id=cid, rate=5)
    url = stack.url(f"/api/v1/admin/rooms/{room['id']}")
    for bad in ({}, {"on": "yes"}, {"on": 1}, {"on": True, "rate": 9}):
        assert_error(requests.patch(url, json=bad, headers=auth(admin), timeout=30), 422)
    assert_error(requests.patch(stack.url("/api/v1/admin/rooms/999999999"), json={"on": False},
                                headers=auth(admin), timeout=30), 404)
    assert_error(requests.patch(url, json={"on": False}, headers=auth(stack.user()), timeout=30), 403)
    assert requests.get(stack.url(f"/api/v1/rooms/{room['id']}")).json()["room"]["on"] is True


def test_a_rescheduled_sale_takes_its_room_along_until_the_room_has_opened(stack, admin):
    def patch(pid, fields):
        return stack.request("PATCH", f"/api/v1/admin/products/{pid}", json=fields,
                             headers=auth(admin["access"]))

    def product(starts_in):
        r = stack.post("/api/v1/admin/products", {"name": "Moving sale " + uuid.uuid4().hex[:6],
                                                  "description": "", "category": "test", "price": 1000,
                                                  "stock": 5, "sale_starts_at": iso(starts_in)},
                       token=admin["access"])
        assert r.status_code == 201, r.text
        return r.json()["product"]["id"]

    def starts(pid, room):
        p = stack.sql("SELECT TIMESTAMPDIFF(SECOND, '1970-01-01', sale_starts_at) AS t, price"
                      " FROM products WHERE id = %s", pid)[0]
        rm = stack.sql("SELECT TIMESTAMPDIFF(SECOND, '1970-01-01', opens_at) AS t FROM rooms"
                       " WHERE id = %s", room)[0]
        held = stack.redis().hget(f"{{r:{room}}}:meta", "opens")
        return p["t"], rm["t"], int(held) if held else None, p["price"]

    pid = product(3600)
    room = make_room(stack, admin, item="product", item_id=pid, rate=10, prequeue_seconds=86400)
    (uid, token), = pool(stack, 1)
    assert join(stack, token, room["id"])["state"] == "prequeue"  # the room is in Redis now
    first = starts(pid, room["id"])
    assert first[0] == first[1] == first[2]

    # Put off by a day: the room follows, in MySQL and in Redis; the person keeps the place.
    later = iso(3600 + 86400)
    r = patch(pid, {"sale_starts_at": later})
    assert r.status_code == 200, r.text
    moved = starts(pid, room["id"])
    assert moved[0] == moved[1] == moved[2] == first[0] + 86400
    assert place(stack, token, room["id"])["state"] == "prequeue"
    # A start removed while the room is there is refused, with the rest of the change.
    assert_error(patch(pid, {"sale_starts_at": None, "price": 2000}), 409, "room_needs_start")
    assert starts(pid, room["id"]) == moved

    # A room whose start has come keeps it: people were let in for that start.
    soon = product(2)
    opened = make_room(stack, admin, item="product", item_id=soon, rate=10)
    wait_until("the room to open", lambda: requests.get(
        stack.url(f"/api/v1/rooms/{opened['id']}"), timeout=30).json()["room"]["open"], timeout=15)
    before = starts(soon, opened["id"])
    assert_error(patch(soon, {"sale_starts_at": iso(3600), "price": 2000}), 409, "room_opened")
    assert starts(soon, opened["id"]) == before
    # An edit that leaves the start where it is goes through.
    same = dt.datetime.fromtimestamp(before[0], dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    r = patch(soon, {"sale_starts_at": same, "price": 2000})
    assert r.status_code == 200, r.text
    assert starts(soon, opened["id"]) == before[:3] + (2000,)
    # Once the room has retired (a day after its start), the product takes a new start and a
    # new room for its next sale; the old room keeps the start it had.
    stack.sql("UPDATE rooms SET opens_at = opens_at - INTERVAL 2 DAY WHERE id = %s", opened["id"])
    wait_until("the rooms worker to retire the room", lambda: stack.sql(
        "SELECT retired_at FROM rooms WHERE id = %s", opened["id"])[0]["retired_at"] is not None,
        timeout=20)
    r = patch(soon, {"sale_starts_at": iso(7200)})
    assert r.status_code == 200, r.text
    again = make_room(stack, admin, item="product", item_id=soon, rate=10)
    assert again["id"] != opened["id"]
    new = starts(soon, again["id"])
    assert new[0] == new[1] >= before[0] + 7000  # the new room opens with the new sale
    assert starts(soon, opened["id"])[1] == before[1] - 2 * 86400  # the old one as it was


def test_a_room_a_day_past_its_start_is_retired_its_counts_kept_and_its_places_gone(stack, admin):
    people = pool(stack, 6)
    cid = campaign_starting_in(stack, admin, 1)
    rid = make_room(stack, admin, item="campaign", item_id=cid, rate=2, prequeue_seconds=600)["id"]
    time.sleep(1.5)
    for _, token in people:
        join(stack, token, rid)
    r = requests.delete(stack.url(f"/api/v1/rooms/{rid}/join"), headers=auth(people[-1][1]), timeout=30)
    assert r.status_code == 200, r.text

    def room():
        return requests.get(stack.url(f"/api/v1/rooms/{rid}"), timeout=30).json()["room"]

    wait_until("two people let in", lambda: room()["admitted"] >= 2, timeout=10)

    def keys():
        return sorted(stack.redis().scan_iter(match=f"{{r:{rid}}}:*"))

    assert len(keys()) >= 6  # meta, tickets, issued, serving, left, stretches at least
    # A day and more after its start, as the clock will have it: its clock stops at once.
    stack.sql("UPDATE rooms SET opens_at = opens_at - INTERVAL 2 DAY WHERE id = %s", rid)
    time.sleep(0.5)
    counted = {k: room()[k] for k in ("waiting", "admitted", "prequeue", "turns", "used", "left")}
    assert counted["left"] == 1 and counted["admitted"] + counted["waiting"] == 5, counted
    wait_until("the rooms worker to retire the room", lambda: stack.sql(
        "SELECT retired_at FROM rooms WHERE id = %s", rid)[0]["retired_at"] is not None, timeout=20)
    kept = json.loads(stack.sql("SELECT final_counts FROM rooms WHERE id = %s", rid)[0]["final_counts"])
    assert kept == counted
    assert keys() == []
    # What it was stays readable; nobody joins, leaves or waits in it any more.
    retired = room()
    assert {k: retired[k] for k in counted} == counted and retired["retired_at"]
    token = people[0][1]
    assert_error(stack.request("PATCH", f"/api/v1/admin/rooms/{rid}", json={"on": True},
                               headers=auth(admin["access"])), 410, "room_closed")
    for method, path in (("POST", "join"), ("DELETE", "join"), ("GET", "place")):
        r = requests.request(method, stack.url(f"/api/v1/rooms/{rid}/{path}"), headers=auth(token),
                             timeout=30)
        assert_error(r, 410, "room_closed")
    s = page_session(stack, admin["email"], admin["password"])
    page = s.get(stack.url("/admin/rooms"), timeout=30).text
    row = page[page.index(f'<a href="/rooms/{rid}">'):]
    assert 'data-room-retired="1"' in row[:row.index("</tr>")]
    assert keys() == []  # none of that put the room back into Redis

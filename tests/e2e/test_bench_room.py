"""`firstcome bench room` at a small size against the test stack: the benchmark runs, and what it
checks holds (one place each, the pre-queue shuffled, the rest in arrival order, nobody admitted
twice, admissions at the rate)."""
import json
import os


def test_bench_room_fills_a_room_in_two_bursts_and_its_checks_hold(stack):
    out = stack.cli("bench", "room", "--people", "2000", "--rate", "500", "--connections", "16",
                    env={"LOG_LEVEL": "warn"})
    assert "admissions: 500 a second set" in out.stdout, out.stdout
    with open(os.path.join(stack.state_dir, "bench", "room.json")) as f:
        doc = json.load(f)
    assert doc["people"] == 2000 and doc["prequeue_people"] == 1000
    for burst in ("prequeue", "at_start"):
        j = doc["joins"][burst]
        assert j["people"] == 1000 and j["errors"] == 0 and j["non2xx"] == 0, j
        assert doc["livez"][burst]["errors"] == 0 and doc["livez"][burst]["non2xx"] == 0
    assert doc["places"] == {"people": 2000, "without_place": 0, "same_ticket_twice": 0,
                             "ticket_out_of_range": 0, "prequeue_holds_first_tickets": True}
    # Shuffled: with 1,000 people a correlation of 0.15 is five standard deviations from none.
    assert abs(doc["order"]["prequeue"]["correlation"]) < 0.15, doc["order"]
    assert doc["order"]["at_start"]["correlation"] > 0.95, doc["order"]
    assert doc["admitted_twice"] == 0
    ad = doc["admissions"]
    assert ad["windows"] > 0 and abs(ad["mean"] - 500) <= 25, ad
    # Every sample: admitted never ahead of the tickets given, the queue never negative.
    assert all(admitted >= 0 and waiting >= 0 for _, admitted, waiting, _ in doc["series"])
    assert doc["series"][-1][1] == 2000

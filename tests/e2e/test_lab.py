"""The concurrency lab (`firstcome bench strategies`) measures the product's own claim path: its
campaigns are created as an admin creates them, every claim is answered, and what it reports is
what MySQL and Redis hold afterwards."""

import json
import os


def test_the_product_strategies_issue_the_quantity_without_errors(stack):
    out = stack.cli("bench", "strategies", "--only", "redis_lua_sync,redis_lua_kafka",
                    "--clients", "4", "--claims", "10", "--quantity", "5")
    with open(os.path.join(stack.state_dir, "bench", "strategies.json")) as f:
        results = {r["strategy"]: r for r in json.load(f)}
    assert sorted(results) == ["redis_lua_kafka", "redis_lua_sync"], out.stdout
    r = stack.redis()
    for name, res in results.items():
        assert res["requests"] == 40 and res["quantity"] == 5, res
        # 20 users contest 5 coupons, each arriving twice: every claim is issued or refused.
        assert res["errors"] == 0, (name, res, out.stdout, out.stderr)
        assert res["issued"] == 5 and res["oversold"] == 0 and res["duplicates"] == 0, res
        (campaign,) = stack.sql("SELECT id, issued FROM coupons WHERE name LIKE %s"
                                " ORDER BY id DESC LIMIT 1", "Lab % " + name)
        rows = stack.sql("SELECT COUNT(*) AS n FROM user_coupons WHERE coupon_id = %s",
                         campaign["id"])[0]["n"]
        assert rows == 5 and campaign["issued"] == 5, (name, rows, campaign)
        assert r.scard(f"{{c:{campaign['id']}}}:claimed") == 5, name

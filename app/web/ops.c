/* ops.c - /livez (no store touched: the ceiling), /healthz (each store checked), /metrics. */
#include <string.h>

#include "core/metrics.h"
#include "store/db.h"
#include "store/kafka.h"
#include "store/redis.h"
#include "web/handlers.h"

void ops_livez(struct request *r)
{
    resp_text(r, 200, "text/plain; charset=utf-8", "ok\n");
}

static const char *redis_state(void)
{
    redisReply *rep = redis_cmd("PING");
    int ok = rep && rep->type == REDIS_REPLY_STATUS && strcmp(rep->str, "PONG") == 0;
    if (rep)
        freeReplyObject(rep);
    return ok ? "ok" : "down";
}

void ops_healthz(struct request *r)
{
    const char *mysql = db_ping() == 0 ? "ok" : "down";
    const char *redis = redis_state();
    const char *kafka = kafka_health(1000) == 0 ? "ok" : "down";
    int ok = !strcmp(mysql, "ok") && !strcmp(redis, "ok") && !strcmp(kafka, "ok");
    resp_json(r, ok ? 200 : 503,
              json_pack("{s:s, s:s, s:s, s:s}", "status", ok ? "ok" : "degraded", "mysql", mysql,
                        "redis", redis, "kafka", kafka));
}

void ops_metrics(struct request *r)
{
    resp_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", "");
    metrics_render(&r->out);
}

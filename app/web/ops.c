/* ops.c - /livez (no store touched: the ceiling), /healthz (each store checked), /metrics, and
 * the site's pages for the errors nginx raises itself. */
#include <string.h>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/outcomes.h"
#include "core/supervisor.h"
#include "domain/rooms.h"
#include "domain/stats.h"
#include "store/db.h"
#include "store/kafka.h"
#include "store/redis.h"
#include "web/handlers.h"
#include "web/reply.h"

void ops_livez(struct request *r)
{
    resp_text(r, 200, "text/plain; charset=utf-8", "ok\n");
}

/* nginx's own refusals of a page's request (nginx.conf.tpl's /__error/page/), as the site's error
 * page: a request line it could not read or too long, a form's body too large. nginx asks for
 * them with GET and keeps its own status. */
void ops_error_page(struct request *r)
{
    static const struct {
        long long status;
        const char *code, *message;
    } known[] = {
        {400, "bad_request", "your browser sent a request this shop could not read"},
        {413, "body_too_large",
         "what you sent is larger than this shop accepts: send less, or a smaller file"},
        {414, "uri_too_long", "the address is too long: go back and try a shorter search"},
        {431, "headers_too_large",
         "your browser sent more headers or cookies than this shop reads: clear this site's"
         " cookies and try again"},
        {429, "rate_limited",
         "too many requests from your address are in progress: wait a moment and try again"},
    };
    long long status = req_param_id(r, 0);
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (known[i].status == status)
            return resp_error(r, (int)status, known[i].code, "%s", known[i].message);
    resp_error(r, 404, "not_found", "there is nothing at %s", r->path);
}

static const char *redis_state(void)
{
    redisReply *rep = redis_cmd("PING");
    int ok = rep && rep->type == REDIS_REPLY_STATUS && strcmp(rep->str, "PONG") == 0;
    if (rep)
        freeReplyObject(rep);
    return ok ? "ok" : "down";
}

/* A worker checks its stores at most once a second and answers a flood of /healthz from that;
 * Kafka's state comes from the producer's watcher (kafka_health never waits). */
void ops_healthz(struct request *r)
{
    static double checked_at;
    static const char *mysql = "down", *redis = "down";
    if (clock_now() - checked_at >= 1.0) {
        mysql = db_ping() == 0 ? "ok" : "down";
        redis = redis_state();
        checked_at = clock_now();
    }
    const char *kafka = kafka_health() == 0 ? "ok" : "down";
    int ok = !strcmp(mysql, "ok") && !strcmp(redis, "ok") && !strcmp(kafka, "ok");
    reply_json(r, ok ? 200 : 503,
               json_pack("{s:s, s:s, s:s, s:s}", "status", ok ? "ok" : "degraded", "mysql", mysql,
                         "redis", redis, "kafka", kafka));
}

/* Each waiting room's people by where they are; left out when a store failed. */
static void render_rooms(struct request *r)
{
    struct err e;
    json_t *rooms = room_list(r->a, &e), *room;
    if (!rooms)
        return;
    static const char *const states[] = {"prequeue", "waiting", "admitted",
                                         "turns",    "used",    "left"};
    sb_adds(&r->out,
            "# HELP firstcome_room_people People in each waiting room: in the pre-queue,"
            " waiting with a place, let in, who took their turn, who used their pass, who left.\n"
            "# TYPE firstcome_room_people gauge\n");
    size_t i;
    json_array_foreach(rooms, i, room) for (size_t k = 0; k < 6; k++)
        sb_printf(&r->out, "firstcome_room_people{room=\"%lld\",state=\"%s\"} %lld\n",
                  (long long)json_integer_value(json_object_get(room, "id")), states[k],
                  (long long)json_integer_value(json_object_get(room, states[k])));
}

void ops_metrics(struct request *r)
{
    resp_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", "");
    metrics_render(&r->out);
    outcomes_render(&r->out);
    /* Parked events are counted where the workers record them; without MySQL the line is left
     * out rather than reporting 0. */
    static const char *const consumers[] = {"order", "shipment", "notify"};
    long long counts[3] = {0};
    json_t *rows = db_query("SELECT consumer, COUNT(*) AS n FROM parked_events"
                            " WHERE status = 'parked' GROUP BY consumer",
                            ""),
           *row;
    size_t i;
    json_array_foreach(
        rows, i,
        row) for (int k = 0; k < 3;
                  k++) if (!strcmp(json_string_value(json_object_get(row, "consumer")) ?: "",
                                   consumers[k])) counts[k] =
        json_integer_value(json_object_get(row, "n"));
    if (rows)
        metrics_render_parked(&r->out, consumers, counts, 3);
    long long waiting, oldest;
    if (stats_outbox(&waiting, &oldest) == 0)
        metrics_render_outbox(&r->out, waiting, oldest);
    metrics_render_restarts(&r->out);
    metrics_render_lag(&r->out);
    render_rooms(r);
}

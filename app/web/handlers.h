/* handlers.h - every route's handler, grouped by feature; the table lives in web/app.c. */
#ifndef FC_HANDLERS_H
#define FC_HANDLERS_H
#include "http/request.h"

/* ops.c */
void ops_livez(struct request *r);
void ops_healthz(struct request *r);
void ops_metrics(struct request *r);

/* catalog_web.c */
void api_products_list(struct request *r);
void api_product_get(struct request *r);
void page_home(struct request *r);
void page_products(struct request *r);
void page_product(struct request *r);

/* Answers 503 in the request's own shape when a store failed. */
void web_store_failed(struct request *r);

#endif

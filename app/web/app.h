/* app.h - the web application: route table, per-worker store handles, dispatch, page layout. */
#ifndef FC_WEB_APP_H
#define FC_WEB_APP_H
#include <jansson.h>

#include "http/request.h"

/* The layout's values for every page: site name, title, signed-in user, CSRF token. */
json_t *web_layout_data(struct request *r, const char *title);

#endif

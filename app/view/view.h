/* view.h - C face of the ctemplate shim: templates preloaded once, pages rendered from JSON. */
#ifndef FC_VIEW_H
#define FC_VIEW_H
#include <jansson.h>
#include <stddef.h>

#include "core/strbuf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Loads every .tpl file in dir into ctemplate's cache (call in the master, before fork). Fails
 * when a template does not parse or does not start with {{%AUTOESCAPE context="HTML"}}. */
int view_init(const char *dir, char *err, size_t errlen);
/* Re-reads templates that changed on disk (SIGHUP). */
void view_reload(void);

/* Renders layout.tpl around `page` (a file name such as "product.tpl"). `layout` fills the
 * layout's own markers, `data` the page's. Objects become sections, arrays repeated sections
 * (scalars inside them as {{value}}), true a shown section; false, null and empty arrays show
 * the section named "no_<key>" instead. Returns 0 or -1 (template missing or failed). */
int view_render_page(const char *page, json_t *layout, json_t *data, struct strbuf *out);
/* Renders one template on its own (mail bodies, fragments). */
int view_render(const char *tpl, json_t *data, struct strbuf *out);

#ifdef __cplusplus
}
#endif
#endif

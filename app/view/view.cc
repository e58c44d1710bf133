// view.cc - the ctemplate shim: the only C++ in firstcome. Maps jansson values onto
// TemplateDictionary so that a JSON handler and an HTML handler share one data path.
#include "view/view.h"

#include <ctemplate/template.h>
#include <ctemplate/template_modifiers.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <string>

extern "C" {
#include "core/text.h"
}

using ctemplate::TemplateDictionary;

/* {{amount:x-won}}: an amount of won as every page shows it, "\u20a9389,800". A value that is
 * not a whole number is left as it is. (Autoescaping still applies after it.) */
class WonModifier : public ctemplate::TemplateModifier
{
    void Modify(const char *in, size_t inlen, const ctemplate::PerExpandData *,
                ctemplate::ExpandEmitter *out, const std::string &) const override
    {
        char digits[24], text[28];
        bool negative = inlen > 0 && in[0] == '-';
        long long v;
        if (inlen >= sizeof(digits)) {
            out->Emit(in, inlen);
            return;
        }
        memcpy(digits, in + negative, inlen - negative);
        digits[inlen - negative] = '\0';
        if (!parse_int64(digits, 0, LLONG_MAX, &v)) {
            out->Emit(in, inlen);
            return;
        }
        format_grouped(negative ? -v : v, text);
        if (negative)
            out->Emit("-");
        out->Emit("\u20a9");
        out->Emit(text + negative);
    }
};

static const WonModifier won_modifier;

/* {{status:x-status}}: an order's status in words, "pending_payment" -> "Awaiting payment". */
class StatusModifier : public ctemplate::TemplateModifier
{
    void Modify(const char *in, size_t inlen, const ctemplate::PerExpandData *,
                ctemplate::ExpandEmitter *out, const std::string &) const override
    {
        static const char *const labels[][2] = {
            {"pending_payment", "Awaiting payment"},
            {"paid", "Paid"},
            {"preparing", "Preparing"},
            {"shipping", "Shipping"},
            {"delivered", "Delivered"},
            {"return_requested", "Return requested"},
            {"returned", "Returned"},
            {"payment_failed", "Payment failed"},
            {"expired", "Expired"},
            {"cancelled", "Cancelled"},
        };
        for (const auto &l : labels)
            if (strlen(l[0]) == inlen && memcmp(l[0], in, inlen) == 0) {
                out->Emit(l[1]);
                return;
            }
        out->Emit(in, inlen);
    }
};

static const StatusModifier status_modifier;

static std::string root_dir;

static const char pragma[] = "{{%AUTOESCAPE context=\"HTML\"}}";

static bool starts_with_pragma(const std::string &path)
{
    FILE *f = fopen(path.c_str(), "r");
    if (!f)
        return false;
    char buf[128] = {0};
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = buf;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    return strncmp(p, pragma, sizeof(pragma) - 1) == 0;
}

extern "C" int view_init(const char *dir, char *err, size_t errlen)
{
    root_dir = dir;
    static bool modifiers_added = false;
    if (!modifiers_added) /* before any template that uses them is loaded */
        modifiers_added = ctemplate::AddModifier("x-won", &won_modifier) &&
                          ctemplate::AddModifier("x-status", &status_modifier);
    ctemplate::mutable_default_template_cache()->SetTemplateRootDirectory(root_dir);
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "templates: cannot open %s", dir);
        return -1;
    }
    int rc = 0, count = 0;
    while (struct dirent *e = readdir(d)) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".tpl") != 0)
            continue;
        std::string path = root_dir + "/" + e->d_name;
        if (!starts_with_pragma(path)) {
            snprintf(err, errlen, "template %s does not start with %s", e->d_name, pragma);
            rc = -1;
            break;
        }
        if (!ctemplate::LoadTemplate(e->d_name, ctemplate::STRIP_BLANK_LINES)) {
            snprintf(err, errlen, "template %s does not parse", e->d_name);
            rc = -1;
            break;
        }
        count++;
    }
    closedir(d);
    if (rc == 0 && count == 0) {
        snprintf(err, errlen, "templates: none found in %s", dir);
        rc = -1;
    }
    return rc;
}

extern "C" void view_reload(void)
{
    ctemplate::mutable_default_template_cache()->ReloadAllIfChanged(
        ctemplate::TemplateCache::LAZY_RELOAD);
}

static void fill(TemplateDictionary *dict, json_t *obj);

static void set_scalar(TemplateDictionary *dict, const char *key, json_t *v)
{
    char buf[64];
    switch (json_typeof(v)) {
    case JSON_STRING:
        dict->SetValue(key, ctemplate::TemplateString(json_string_value(v), json_string_length(v)));
        break;
    case JSON_INTEGER:
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
        dict->SetValue(key, buf);
        break;
    case JSON_REAL:
        snprintf(buf, sizeof(buf), "%g", json_real_value(v));
        dict->SetValue(key, buf);
        break;
    default:
        break;
    }
}

static void fill_value(TemplateDictionary *dict, const char *key, json_t *v)
{
    std::string no = std::string("no_") + key;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        fill(dict->AddSectionDictionary(key), v);
        break;
    case JSON_ARRAY: {
        size_t i;
        json_t *e;
        if (json_array_size(v) == 0)
            dict->ShowSection(no);
        json_array_foreach(v, i, e)
        {
            TemplateDictionary *sub = dict->AddSectionDictionary(key);
            if (json_is_object(e))
                fill(sub, e);
            else
                set_scalar(sub, "value", e);
            sub->SetIntValue("index", (long)i);
        }
        break;
    }
    case JSON_TRUE:
        dict->ShowSection(key);
        dict->SetValue(key, "true");
        break;
    case JSON_FALSE:
    case JSON_NULL:
        dict->ShowSection(no);
        break;
    default:
        set_scalar(dict, key, v);
        break;
    }
}

static void fill(TemplateDictionary *dict, json_t *obj)
{
    const char *key;
    json_t *v;
    if (!obj || !json_is_object(obj))
        return;
    json_object_foreach(obj, key, v) fill_value(dict, key, v);
}

static int expand(const char *tpl, TemplateDictionary *dict, struct strbuf *out)
{
    std::string s;
    if (!ctemplate::ExpandTemplate(tpl, ctemplate::STRIP_BLANK_LINES, dict, &s))
        return -1;
    sb_add(out, s.data(), s.size());
    return 0;
}

extern "C" int view_render_page(const char *page, json_t *layout, json_t *data, struct strbuf *out)
{
    TemplateDictionary dict("layout");
    fill(&dict, layout);
    TemplateDictionary *content = dict.AddIncludeDictionary("content");
    content->SetFilename(page);
    fill(content, layout); // the page sees the layout's values (user, csrf) too
    fill(content, data);
    return expand("layout.tpl", &dict, out);
}

extern "C" int view_render(const char *tpl, json_t *data, struct strbuf *out)
{
    TemplateDictionary dict("view");
    fill(&dict, data);
    return expand(tpl, &dict, out);
}

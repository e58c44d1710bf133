// view.cc - the ctemplate shim: the only C++ in firstcome. Maps jansson values onto
// TemplateDictionary so that a JSON handler and an HTML handler share one data path.
#include "view/view.h"

#include <ctemplate/template.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include <string>

using ctemplate::TemplateDictionary;

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

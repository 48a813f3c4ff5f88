#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs.h"
#include "log.h"
#include "regconf.h"
#include "util.h"

#define FILE_MAX    (1024 * 1024)
#define DROPINS_MAX 1000
#define ENTRIES_MAX 10000
#define DEPTH_MAX   32
#define V1_INSECURE "registries.insecure"
#define V1_BLOCK    "registries.block"
#define MAIN_NAME   "registries.conf"
#define DROPIN_DIR  "registries.conf.d"

const char *rl_regconf_system_dir = "/etc/containers";

/* ------------------------------------------------------------------ the parser */

enum value_type { V_STRING, V_BOOL, V_ARRAY, V_OTHER };

struct value {
    enum value_type type;
    char *str;      /* V_STRING */
    bool b;         /* V_BOOL */
    char **strings; /* V_ARRAY: its string elements (NULL-terminated) */
    size_t n_strings;
    bool only_strings; /* V_ARRAY: no element of another type */
};

enum context { CTX_TOP, CTX_REGISTRY, CTX_V1_INSECURE, CTX_V1_BLOCK, CTX_IGNORE };

struct parser {
    const char *file;
    const char *p, *end;
    int line;
    rl_error_t *err;
};

static void
value_release(struct value *v)
{
    free(v->str);
    for (size_t i = 0; i < v->n_strings; i++)
        free(v->strings[i]);
    free(v->strings);
    memset(v, 0, sizeof(*v));
}

static int RL_PRINTF(2, 3) syntax_error(struct parser *ps, const char *fmt, ...)
{
    cleanup_free char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        rl_oom();
    va_end(ap);
    return rl_make_error(ps->err, 0, "%s:%d: %s", ps->file, ps->line, msg);
}

static bool
at_end(const struct parser *ps)
{
    return ps->p >= ps->end;
}

static void
skip_blanks(struct parser *ps)
{
    while (!at_end(ps) && (*ps->p == ' ' || *ps->p == '\t'))
        ps->p++;
}

/* Blanks, newlines and comments: the space between array elements. */
static void
skip_space(struct parser *ps)
{
    while (!at_end(ps)) {
        if (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r') {
            ps->p++;
        } else if (*ps->p == '\n') {
            ps->p++;
            ps->line++;
        } else if (*ps->p == '#') {
            while (!at_end(ps) && *ps->p != '\n')
                ps->p++;
        } else {
            break;
        }
    }
}

/* After a key/value pair or a table header: blanks, an optional comment, the newline. */
static int
end_of_line(struct parser *ps)
{
    skip_blanks(ps);
    if (!at_end(ps) && *ps->p == '#')
        while (!at_end(ps) && *ps->p != '\n')
            ps->p++;
    if (!at_end(ps) && *ps->p == '\r')
        ps->p++;
    if (at_end(ps))
        return 0;
    if (*ps->p != '\n')
        return syntax_error(ps, "unexpected '%c' after the value", *ps->p);
    ps->p++;
    ps->line++;
    return 0;
}

static void
buf_add(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = xrealloc(*buf, *cap);
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
}

/* Append code point CP as UTF-8. */
static void
buf_add_utf8(char **buf, size_t *len, size_t *cap, unsigned long cp)
{
    char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    buf_add(buf, len, cap, u, n);
}

/* The character that "\\E" stands for in a basic string, or '\0'. */
static char
simple_escape(char e)
{
    switch (e) {
    case 'b':
        return '\b';
    case 't':
        return '\t';
    case 'n':
        return '\n';
    case 'f':
        return '\f';
    case 'r':
        return '\r';
    case '"':
        return '"';
    case '\\':
        return '\\';
    default:
        return '\0';
    }
}

/* A string starting at ps->p (a quote): "basic", 'literal', or their triple-quoted,
 * multi-line forms. */
static int
parse_string(struct parser *ps, char **ret)
{
    char quote = *ps->p;
    bool triple = ps->end - ps->p >= 3 && ps->p[1] == quote && ps->p[2] == quote;
    int start_line = ps->line;
    cleanup_free char *buf = xstrdup("");
    size_t len = 0, cap = 1;

    ps->p += triple ? 3 : 1;
    /* A newline right after the opening delimiter is not part of the string. */
    if (triple && !at_end(ps) && *ps->p == '\n') {
        ps->p++;
        ps->line++;
    }
    for (;;) {
        char c;

        if (at_end(ps)) {
            ps->line = start_line;
            return syntax_error(ps, "unterminated string");
        }
        c = *ps->p;
        if (c == quote) {
            if (!triple) {
                ps->p++;
                break;
            }
            if (ps->end - ps->p >= 3 && ps->p[1] == quote && ps->p[2] == quote) {
                ps->p += 3;
                break;
            }
        }
        if (c == '\n') {
            if (!triple)
                return syntax_error(ps, "unterminated string");
            ps->line++;
        }
        if (c == '\\' && quote == '"') {
            char e = ps->p + 1 < ps->end ? ps->p[1] : '\0';
            char out = simple_escape(e);

            if (out != '\0') {
                buf_add(&buf, &len, &cap, &out, 1);
                ps->p += 2;
                continue;
            }
            if (e == 'u' || e == 'U') {
                int digits = e == 'u' ? 4 : 8;
                unsigned long cp = 0;

                if (ps->end - ps->p < 2 + digits)
                    return syntax_error(ps, "bad escape '\\%c' in a string", e);
                for (int i = 0; i < digits; i++) {
                    char h = ps->p[2 + i];
                    const char *hex = "0123456789abcdef", *x;

                    x = h ? strchr(hex, h | 0x20) : NULL;
                    if (x == NULL)
                        return syntax_error(ps, "bad escape '\\%c' in a string", e);
                    cp = cp * 16 + (unsigned long)(x - hex);
                }
                if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                    return syntax_error(ps, "bad escape '\\%c' in a string", e);
                buf_add_utf8(&buf, &len, &cap, cp);
                ps->p += 2 + digits;
                continue;
            }
            if (triple && (e == '\n' || e == ' ' || e == '\t' || e == '\r')) {
                /* A line-ending backslash trims the whitespace that follows. */
                ps->p++;
                skip_space(ps);
                continue;
            }
            if (e == '\n' || e == '\0')
                return syntax_error(ps, "unterminated string");
            return syntax_error(ps, "bad escape '\\%c' in a string", e);
        }
        if (c == '\0')
            return syntax_error(ps, "NUL byte in a string");
        buf_add(&buf, &len, &cap, &c, 1);
        ps->p++;
    }
    *ret = steal_pointer(&buf);
    return 0;
}

static bool
is_bare_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
           || c == '-';
}

/* A key: bare, "quoted" or 'quoted' parts joined by dots. *RET is the parts joined with '.';
 * *RET_PARTS their number. */
static int
parse_key(struct parser *ps, char **ret, int *ret_parts)
{
    cleanup_free char *key = xstrdup("");
    size_t len = 0, cap = 1;
    int parts = 0;

    for (;;) {
        cleanup_free char *part = NULL;

        skip_blanks(ps);
        if (at_end(ps))
            return syntax_error(ps, "expected a key");
        if (*ps->p == '"' || *ps->p == '\'') {
            if (ps->end - ps->p >= 3 && ps->p[1] == *ps->p && ps->p[2] == *ps->p)
                return syntax_error(ps, "a key cannot be a multi-line string");
            if (parse_string(ps, &part) < 0)
                return -1;
        } else {
            const char *s = ps->p;
            while (!at_end(ps) && is_bare_key_char(*ps->p))
                ps->p++;
            if (ps->p == s)
                return syntax_error(ps, "expected a key, found '%c'", *ps->p);
            part = xstrndup(s, (size_t)(ps->p - s));
        }
        if (parts++)
            buf_add(&key, &len, &cap, ".", 1);
        buf_add(&key, &len, &cap, part, strlen(part));
        skip_blanks(ps);
        if (at_end(ps) || *ps->p != '.')
            break;
        ps->p++;
    }
    *ret = steal_pointer(&key);
    *ret_parts = parts;
    return 0;
}

static int parse_value(struct parser *ps, struct value *v, int depth);

static int
parse_array(struct parser *ps, struct value *v, int depth)
{
    int start_line = ps->line;

    ps->p++;
    v->type = V_ARRAY;
    v->only_strings = true;
    v->strings = xzalloc(sizeof(char *));
    for (;;) {
        struct value elem = { 0 };

        skip_space(ps);
        if (at_end(ps)) {
            ps->line = start_line;
            return syntax_error(ps, "unterminated array");
        }
        if (*ps->p == ']') {
            ps->p++;
            return 0;
        }
        if (parse_value(ps, &elem, depth + 1) < 0) {
            value_release(&elem);
            return -1;
        }
        if (elem.type == V_STRING) {
            v->strings = xrealloc(v->strings, (v->n_strings + 2) * sizeof(char *));
            v->strings[v->n_strings++] = steal_pointer(&elem.str);
            v->strings[v->n_strings] = NULL;
        } else {
            v->only_strings = false;
        }
        value_release(&elem);
        skip_space(ps);
        if (!at_end(ps) && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (!at_end(ps) && *ps->p == ']')
            continue;
        if (at_end(ps)) {
            ps->line = start_line;
            return syntax_error(ps, "unterminated array");
        }
        return syntax_error(ps, "expected ',' or ']' in an array, found '%c'", *ps->p);
    }
}

/* { key = value, ... }: parsed and dropped. */
static int
parse_inline_table(struct parser *ps, struct value *v, int depth)
{
    ps->p++;
    v->type = V_OTHER;
    skip_blanks(ps);
    if (!at_end(ps) && *ps->p == '}') {
        ps->p++;
        return 0;
    }
    for (;;) {
        cleanup_free char *key = NULL;
        struct value elem = { 0 };
        int parts, ret;

        if (parse_key(ps, &key, &parts) < 0)
            return -1;
        if (at_end(ps) || *ps->p != '=')
            return syntax_error(ps, "expected '=' after '%s'", key);
        ps->p++;
        skip_blanks(ps);
        ret = parse_value(ps, &elem, depth + 1);
        value_release(&elem);
        if (ret < 0)
            return -1;
        skip_blanks(ps);
        if (!at_end(ps) && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (!at_end(ps) && *ps->p == '}') {
            ps->p++;
            return 0;
        }
        return syntax_error(ps, "expected ',' or '}' in an inline table");
    }
}

static int
parse_value(struct parser *ps, struct value *v, int depth)
{
    const char *s;
    size_t n;

    if (depth > DEPTH_MAX)
        return syntax_error(ps, "values nested too deeply");
    if (at_end(ps) || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '#')
        return syntax_error(ps, "missing value");
    if (*ps->p == '"' || *ps->p == '\'') {
        v->type = V_STRING;
        return parse_string(ps, &v->str);
    }
    if (*ps->p == '[')
        return parse_array(ps, v, depth);
    if (*ps->p == '{')
        return parse_inline_table(ps, v, depth);
    /* Booleans, numbers and dates: a run of these characters (a date may hold one space). */
    s = ps->p;
    while (!at_end(ps)
           && (is_bare_key_char(*ps->p) || strchr("+.:", *ps->p)
               || (*ps->p == ' ' && ps->p > s && ps->p[-1] >= '0' && ps->p[-1] <= '9'
                   && ps->end - ps->p > 1 && ps->p[1] >= '0' && ps->p[1] <= '9')))
        ps->p++;
    n = (size_t)(ps->p - s);
    if (n == 4 && memcmp(s, "true", 4) == 0) {
        v->type = V_BOOL;
        v->b = true;
        return 0;
    }
    if (n == 5 && memcmp(s, "false", 5) == 0) {
        v->type = V_BOOL;
        v->b = false;
        return 0;
    }
    if (n > 0
        && ((*s >= '0' && *s <= '9') || *s == '+' || *s == '-'
            || (n == 3 && memcmp(s, "inf", 3) == 0) || (n == 3 && memcmp(s, "nan", 3) == 0))) {
        v->type = V_OTHER;
        return 0;
    }
    if (n == 0)
        return syntax_error(ps, "invalid value starting with '%c'", *ps->p);
    return syntax_error(ps, "invalid value '%.*s' (strings need quotes)", (int)n, s);
}

/* ------------------------------------------------------------------ registries */

static void
registry_release(struct rl_regconf_registry *r)
{
    free(r->prefix);
    free(r->location);
    free(r->file);
}

/* The registries of one file, before they are merged into the configuration. */
struct file_state {
    struct rl_regconf_registry *regs;
    size_t n;
    bool has_v1, has_v2;
    int v1_line;
};

static struct rl_regconf_registry *
file_add(struct file_state *f, const char *file, int line)
{
    struct rl_regconf_registry *r;

    f->regs = xrealloc(f->regs, (f->n + 1) * sizeof(*f->regs));
    r = &f->regs[f->n++];
    memset(r, 0, sizeof(*r));
    r->file = xstrdup(file);
    r->line = line;
    return r;
}

static void
file_release(struct file_state *f)
{
    for (size_t i = 0; i < f->n; i++)
        registry_release(&f->regs[i]);
    free(f->regs);
}

static int
set_string(struct parser *ps, const char *key, struct value *v, char **dst)
{
    if (v->type != V_STRING)
        return syntax_error(ps, "'%s' must be a string", key);
    free(*dst);
    *dst = steal_pointer(&v->str);
    return 0;
}

static int
set_bool(struct parser *ps, const char *key, struct value *v, bool *dst)
{
    if (v->type != V_BOOL)
        return syntax_error(ps, "'%s' must be true or false", key);
    *dst = v->b;
    return 0;
}

static int
apply_key(struct parser *ps, struct file_state *f, enum context ctx, const char *key, int parts,
          struct value *v)
{
    struct rl_regconf_registry *r = f->n ? &f->regs[f->n - 1] : NULL;

    if (parts != 1)
        return 0;
    switch (ctx) {
    case CTX_REGISTRY:
        if (strcmp(key, "location") == 0)
            return set_string(ps, key, v, &r->location);
        if (strcmp(key, "prefix") == 0)
            return set_string(ps, key, v, &r->prefix);
        if (strcmp(key, "insecure") == 0)
            return set_bool(ps, key, v, &r->insecure);
        if (strcmp(key, "blocked") == 0)
            return set_bool(ps, key, v, &r->blocked);
        return 0;
    case CTX_V1_INSECURE:
    case CTX_V1_BLOCK:
        if (strcmp(key, "registries") != 0)
            return 0;
        if (v->type != V_ARRAY || !v->only_strings)
            return syntax_error(ps, "'registries' must be an array of strings");
        for (size_t i = 0; i < v->n_strings; i++) {
            struct rl_regconf_registry *n = NULL;

            /* A registry in both tables is one entry with both flags. */
            for (size_t k = 0; k < f->n && n == NULL; k++)
                if (f->regs[k].location && strcmp(f->regs[k].location, v->strings[i]) == 0)
                    n = &f->regs[k];
            if (n == NULL) {
                if (f->n >= ENTRIES_MAX)
                    return syntax_error(ps, "more than %d registries", ENTRIES_MAX);
                n = file_add(f, ps->file, ps->line);
                n->location = xstrdup(v->strings[i]);
            }
            if (ctx == CTX_V1_INSECURE)
                n->insecure = true;
            else
                n->blocked = true;
        }
        f->has_v1 = true;
        f->v1_line = ps->line;
        return 0;
    case CTX_TOP:
    case CTX_IGNORE:
        return 0;
    }
    return 0;
}

/* A table header at ps->p ('['): the context of the keys that follow. */
static int
parse_header(struct parser *ps, struct file_state *f, enum context *ctx)
{
    cleanup_free char *name = NULL;
    bool array = ps->end - ps->p >= 2 && ps->p[1] == '[';
    int parts;

    ps->p += array ? 2 : 1;
    if (parse_key(ps, &name, &parts) < 0)
        return -1;
    if (at_end(ps) || *ps->p != ']' || (array && (ps->end - ps->p < 2 || ps->p[1] != ']')))
        return syntax_error(ps, "expected '%s' after the table name '%s'", array ? "]]" : "]",
                            name);
    ps->p += array ? 2 : 1;
    *ctx = CTX_IGNORE;
    if (array && strcmp(name, "registry") == 0 && parts == 1) {
        if (f->n >= ENTRIES_MAX)
            return syntax_error(ps, "more than %d registries", ENTRIES_MAX);
        file_add(f, ps->file, ps->line);
        f->has_v2 = true;
        *ctx = CTX_REGISTRY;
    } else if (!array && strcmp(name, V1_INSECURE) == 0 && parts == 2) {
        *ctx = CTX_V1_INSECURE;
    } else if (!array && strcmp(name, V1_BLOCK) == 0 && parts == 2) {
        *ctx = CTX_V1_BLOCK;
    }
    return end_of_line(ps);
}

/* Check an entry and fill in its defaults, as containers/image's postProcessRegistries. */
static int
finish_registry(struct parser *ps, struct rl_regconf_registry *r)
{
    ps->line = r->line;
    if (r->location) {
        size_t n = strlen(r->location);
        while (n > 0 && r->location[n - 1] == '/')
            r->location[--n] = '\0';
        if (strstr(r->location, "://"))
            return syntax_error(ps, "invalid location '%s': URI schemes are not supported",
                                r->location);
    }
    if (r->prefix == NULL || r->prefix[0] == '\0') {
        if (r->location == NULL || r->location[0] == '\0')
            return syntax_error(ps, "[[registry]] needs a location or a prefix");
        free(r->prefix);
        r->prefix = xstrdup(r->location);
        return 0;
    }
    if (r->prefix[0] == '*') {
        if (r->prefix[1] != '.' || r->prefix[2] == '\0' || strchr(r->prefix + 1, '*')
            || strchr(r->prefix, '/'))
            return syntax_error(ps, "invalid prefix '%s': a wildcard must be '*.example.com'",
                                r->prefix);
    } else {
        size_t n = strlen(r->prefix);
        while (n > 0 && r->prefix[n - 1] == '/')
            r->prefix[--n] = '\0';
        if (r->location == NULL || r->location[0] == '\0')
            return syntax_error(ps,
                                "[[registry]] with prefix '%s' needs a location (only a "
                                "'*.example.com' prefix may go without)",
                                r->prefix);
    }
    if (r->location == NULL)
        r->location = xstrdup("");
    return 0;
}

struct rl_regconf *
rl_regconf_new(void)
{
    struct rl_regconf *c = xzalloc(sizeof(*c));

    c->files = xzalloc(sizeof(char *));
    return c;
}

void
rl_regconf_free(struct rl_regconf *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n_registries; i++)
        registry_release(&c->registries[i]);
    free(c->registries);
    rl_strv_free(c->files);
    free(c);
}

static void
merge(struct rl_regconf *c, struct rl_regconf_registry *r)
{
    for (size_t i = 0; i < c->n_registries; i++) {
        if (strcmp(c->registries[i].prefix, r->prefix) == 0) {
            registry_release(&c->registries[i]);
            c->registries[i] = *r;
            memset(r, 0, sizeof(*r));
            return;
        }
    }
    c->registries = xrealloc(c->registries, (c->n_registries + 1) * sizeof(*c->registries));
    c->registries[c->n_registries++] = *r;
    memset(r, 0, sizeof(*r));
}

int
rl_regconf_parse(struct rl_regconf *c, const char *path, const char *text, size_t len,
                 rl_error_t *err)
{
    struct parser ps = { .file = path, .p = text, .end = text + len, .line = 1, .err = err };
    struct file_state f = { 0 };
    enum context ctx = CTX_TOP;
    size_t n;
    int ret = 0;

    while (ret == 0) {
        skip_blanks(&ps);
        if (at_end(&ps))
            break;
        if (*ps.p == '\n' || *ps.p == '\r' || *ps.p == '#') {
            ret = end_of_line(&ps);
        } else if (*ps.p == '[') {
            ret = parse_header(&ps, &f, &ctx);
        } else {
            cleanup_free char *key = NULL;
            struct value v = { 0 };
            int parts, line = ps.line;

            ret = parse_key(&ps, &key, &parts);
            if (ret == 0 && (at_end(&ps) || *ps.p != '='))
                ret = syntax_error(&ps, "expected '=' after the key '%s'", key);
            if (ret == 0) {
                ps.p++;
                skip_blanks(&ps);
                ret = parse_value(&ps, &v, 0);
            }
            if (ret == 0) {
                /* The value may span lines: report it at the line of its key. */
                int end_line = ps.line;
                ps.line = line;
                ret = apply_key(&ps, &f, ctx, key, parts, &v);
                ps.line = end_line;
            }
            value_release(&v);
            if (ret == 0)
                ret = end_of_line(&ps);
        }
    }
    if (ret == 0 && f.has_v1 && f.has_v2) {
        ps.line = f.v1_line;
        ret = syntax_error(&ps, "mixing the v1 [registries.*] tables and v2 [[registry]] is "
                                "not supported");
    }
    for (size_t i = 0; ret == 0 && i < f.n; i++)
        ret = finish_registry(&ps, &f.regs[i]);
    if (ret == 0 && c->n_registries + f.n > ENTRIES_MAX)
        ret = rl_make_error(err, 0, "%s: more than %d registries", path, ENTRIES_MAX);
    if (ret == 0) {
        for (size_t i = 0; i < f.n; i++)
            merge(c, &f.regs[i]);
        n = rl_strv_len(c->files);
        c->files = xrealloc(c->files, (n + 2) * sizeof(char *));
        c->files[n] = xstrdup(path);
        c->files[n + 1] = NULL;
    }
    file_release(&f);
    return ret;
}

int
rl_regconf_load_file(struct rl_regconf *c, const char *path, rl_error_t *err)
{
    cleanup_free char *buf = NULL;
    size_t len;

    if (rl_read_file(path, FILE_MAX, &buf, &len, err) < 0)
        return -1;
    return rl_regconf_parse(c, path, buf, len, err);
}

/* ------------------------------------------------------------------ files */

static char *
user_config_dir(void)
{
    const char *config = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");

    if (config && config[0] == '/')
        return xasprintf("%s/containers", config);
    if (home && home[0] == '/')
        return xasprintf("%s/.config/containers", home);
    return NULL;
}

static int
compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append DIR/ *.conf (regular files, or links to them) to *V. */
static void
add_dropins(const char *dir, char ***v, size_t *n)
{
    cleanup_dir DIR *d = opendir(dir);
    struct dirent *de;

    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL && *n < DROPINS_MAX) {
        cleanup_free char *path = NULL;
        struct stat st;

        if (de->d_name[0] == '.' || !rl_str_has_suffix(de->d_name, ".conf"))
            continue;
        path = xasprintf("%s/%s", dir, de->d_name);
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        *v = xrealloc(*v, (*n + 2) * sizeof(char *));
        (*v)[(*n)++] = steal_pointer(&path);
        (*v)[*n] = NULL;
    }
}

void
rl_regconf_files(char **ret_main, char ***ret_dropins)
{
    const char *env = getenv("CONTAINERS_REGISTRIES_CONF");
    cleanup_free char *user = user_config_dir();
    cleanup_free char *user_main = user ? xasprintf("%s/" MAIN_NAME, user) : NULL;
    cleanup_free char *sys_main = xasprintf("%s/" MAIN_NAME, rl_regconf_system_dir);
    cleanup_free char *sys_dir = xasprintf("%s/" DROPIN_DIR, rl_regconf_system_dir);
    char **dropins = xzalloc(sizeof(char *));
    size_t n = 0;
    struct stat st;

    *ret_main = NULL;
    if (env && env[0]) {
        if (stat(env, &st) == 0)
            *ret_main = xstrdup(env);
        else
            rl_debug("CONTAINERS_REGISTRIES_CONF: '%s' does not exist", env);
        *ret_dropins = dropins;
        return;
    }
    if (user_main && stat(user_main, &st) == 0)
        *ret_main = steal_pointer(&user_main);
    else if (stat(sys_main, &st) == 0)
        *ret_main = steal_pointer(&sys_main);
    add_dropins(sys_dir, &dropins, &n);
    if (user) {
        cleanup_free char *user_dir = xasprintf("%s/" DROPIN_DIR, user);
        add_dropins(user_dir, &dropins, &n);
    }
    qsort(dropins, n, sizeof(char *), compare_paths);
    *ret_dropins = dropins;
}

int
rl_regconf_load(struct rl_regconf **ret, rl_error_t *err)
{
    struct rl_regconf *c = rl_regconf_new();
    cleanup_free char *main_file = NULL;
    cleanup_strv char **dropins = NULL;

    rl_regconf_files(&main_file, &dropins);
    if (main_file && rl_regconf_load_file(c, main_file, err) < 0)
        goto fail;
    for (size_t i = 0; dropins[i]; i++) {
        if (rl_regconf_load_file(c, dropins[i], err) < 0)
            goto fail;
    }
    *ret = c;
    return 0;
fail:
    rl_regconf_free(c);
    return rl_error_wrap(err, "registries.conf");
}

/* ------------------------------------------------------------------ matching */

/* The length of REF that PREFIX matches, or 0. */
static size_t
match_length(const char *ref, const char *prefix)
{
    size_t n = strlen(prefix);

    if (prefix[0] == '*' && prefix[1] == '.') {
        /* "*.example.com": a host below example.com, then the end or '/'. */
        const char *domain = prefix + 1;
        size_t host = strcspn(ref, "/"), dn = strlen(domain);

        if (host <= dn || strncmp(ref + host - dn, domain, dn) != 0)
            return 0;
        return host;
    }
    if (n == 0 || strncmp(ref, prefix, n) != 0)
        return 0;
    return ref[n] == '\0' || ref[n] == '/' ? n : 0;
}

const struct rl_regconf_registry *
rl_regconf_find(const struct rl_regconf *c, const char *registry, const char *repository)
{
    cleanup_free char *ref =
        repository && repository[0] ? xasprintf("%s/%s", registry, repository) : xstrdup(registry);
    const struct rl_regconf_registry *best = NULL;
    size_t best_len = 0;

    for (size_t i = 0; i < c->n_registries; i++) {
        size_t n = match_length(ref, c->registries[i].prefix);
        if (n > best_len) {
            best = &c->registries[i];
            best_len = n;
        }
    }
    return best;
}

int
rl_regconf_lookup(const char *registry, const char *repository, bool *ret_insecure,
                  bool *ret_blocked, char **ret_file, rl_error_t *err)
{
    struct rl_regconf *c = NULL;
    const struct rl_regconf_registry *r;

    if (rl_regconf_load(&c, err) < 0)
        return -1;
    r = rl_regconf_find(c, registry, repository);
    if (r)
        rl_debug("%s%s%s: [[registry]] prefix '%s' of %s:%d: insecure %d, blocked %d", registry,
                 repository && repository[0] ? "/" : "", repository ? repository : "", r->prefix,
                 r->file, r->line, r->insecure, r->blocked);
    *ret_insecure = r && r->insecure;
    *ret_blocked = r && r->blocked;
    if (ret_file)
        *ret_file = r ? xstrdup(r->file) : NULL;
    rl_regconf_free(c);
    return 0;
}

#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format.h"

void
rl_human_size(int64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
    double v = (double)bytes;
    int u = 0;

    /* 999.5 prints as "1e+03" with three significant digits: that is the next unit. */
    while (v >= 999.5 && u < 5) {
        v /= 1000;
        u++;
    }
    snprintf(buf, len, "%.3g %s", v, units[u]);
}

/* As go-units' HumanDuration, which podman prints with " ago". */
void
rl_human_ago(time_t then, char *buf, size_t len)
{
    double d = difftime(time(NULL), then);
    long s = (long)d, m = (long)(d / 60), h = (long)(d / 3600 + 0.5);

    if (s < 1)
        snprintf(buf, len, "Less than a second ago");
    else if (s == 1)
        snprintf(buf, len, "1 second ago");
    else if (s < 60)
        snprintf(buf, len, "%ld seconds ago", s);
    else if (m == 1)
        snprintf(buf, len, "About a minute ago");
    else if (m < 60)
        snprintf(buf, len, "%ld minutes ago", m);
    else if (h == 1)
        snprintf(buf, len, "About an hour ago");
    else if (h < 48)
        snprintf(buf, len, "%ld hours ago", h);
    else if (h < 24 * 7 * 2)
        snprintf(buf, len, "%ld days ago", h / 24);
    else if (h < 24 * 30 * 2)
        snprintf(buf, len, "%ld weeks ago", h / 24 / 7);
    else if (h < 24 * 365 * 2)
        snprintf(buf, len, "%ld months ago", h / 24 / 30);
    else
        snprintf(buf, len, "%ld years ago", (long)(d / 3600) / 24 / 365);
}

static bool
two_digits(const char *p)
{
    return isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]);
}

time_t
rl_parse_rfc3339(const char *s)
{
    struct tm tm = { 0 };
    const char *p;
    time_t t;

    if (s == NULL)
        return -1;
    p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (p == NULL)
        return -1;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    t = timegm(&tm);
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
        return t;
    /* "+hh:mm" and nothing after; each character is checked before the next is read. */
    if ((*p == '+' || *p == '-') && two_digits(p + 1) && p[3] == ':' && two_digits(p + 4)
        && p[6] == '\0') {
        long off =
            ((p[1] - '0') * 10 + (p[2] - '0')) * 3600L + ((p[4] - '0') * 10 + (p[5] - '0')) * 60L;
        return *p == '+' ? t - off : t + off;
    }
    return -1;
}

/* ------------------------------------------------------------------ templates */

enum piece_kind { PIECE_TEXT, PIECE_FIELD, PIECE_JSON, PIECE_RANGE, PIECE_END };

struct piece {
    enum piece_kind kind;
    char *text; /* literal text, or the dotted path without the leading dot ("" for ".") */
    size_t end; /* PIECE_RANGE: the index of its PIECE_END */
};

struct rl_template {
    bool table;
    struct piece *p;
    size_t n;
};

static void
add_piece(struct rl_template *t, enum piece_kind kind, char *text)
{
    t->p = xrealloc(t->p, (t->n + 1) * sizeof(*t->p));
    t->p[t->n].kind = kind;
    t->p[t->n].text = text;
    t->p[t->n].end = 0;
    t->n++;
}

/* Literal text with "\t" and "\n" written as two characters turned into the real ones. */
static char *
unescape(const char *s, size_t n)
{
    char *out = xzalloc(n + 1), *o = out;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == 't' || s[i + 1] == 'n')) {
            *o++ = s[i + 1] == 't' ? '\t' : '\n';
            i++;
        } else {
            *o++ = s[i];
        }
    }
    return out;
}

int
rl_template_parse(const char *text, struct rl_template **ret, rl_error_t *err)
{
    struct rl_template *t = xzalloc(sizeof(*t));
    const char *p = text;
    size_t open_ranges[16];
    size_t depth = 0;

    if (strncmp(p, "table ", 6) == 0 || strcmp(p, "table") == 0) {
        t->table = true;
        p += strcmp(p, "table") == 0 ? 5 : 6;
    }
    while (*p) {
        const char *open = strstr(p, "{{"), *close, *a, *b;
        cleanup_free char *action = NULL;

        if (open == NULL) {
            add_piece(t, PIECE_TEXT, unescape(p, strlen(p)));
            break;
        }
        if (open > p)
            add_piece(t, PIECE_TEXT, unescape(p, (size_t)(open - p)));
        close = strstr(open + 2, "}}");
        if (close == NULL) {
            rl_template_free(t);
            return rl_make_error(err, 0, "template '%s': unclosed action", text);
        }
        a = open + 2;
        b = close;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        action = xstrndup(a, (size_t)(b - a));
        if (strncmp(action, "json ", 5) == 0) {
            const char *f = action + 5;
            while (isspace((unsigned char)*f))
                f++;
            if (*f != '.') {
                rl_template_free(t);
                return rl_make_error(err, 0, "template '%s': json takes a field like .Name", text);
            }
            add_piece(t, PIECE_JSON, xstrdup(f + 1));
        } else if (strncmp(action, "range ", 6) == 0) {
            const char *f = action + 6;
            while (isspace((unsigned char)*f))
                f++;
            if (*f != '.' || depth == RL_ARRAY_SIZE(open_ranges)) {
                rl_template_free(t);
                return rl_make_error(err, 0, "template '%s': range takes a field like .Mounts",
                                     text);
            }
            open_ranges[depth++] = t->n;
            add_piece(t, PIECE_RANGE, xstrdup(f + 1));
        } else if (strcmp(action, "end") == 0) {
            if (depth == 0) {
                rl_template_free(t);
                return rl_make_error(err, 0, "template '%s': {{end}} without {{range}}", text);
            }
            t->p[open_ranges[--depth]].end = t->n;
            add_piece(t, PIECE_END, xstrdup(""));
        } else if (action[0] == '.'
                   && strspn(action + 1, "abcdefghijklmnopqrstuvwxyz"
                                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
                          == strlen(action + 1)) {
            add_piece(t, PIECE_FIELD, xstrdup(action + 1));
        } else {
            rl_template_free(t);
            return rl_make_error(err, 0, "template '%s': unsupported action '{{%s}}'", text,
                                 action);
        }
        p = close + 2;
    }
    if (depth) {
        rl_template_free(t);
        return rl_make_error(err, 0, "template '%s': {{range}} without {{end}}", text);
    }
    *ret = t;
    return 0;
}

void
rl_template_free(struct rl_template *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->p[i].text);
    free(t->p);
    free(t);
}

bool
rl_template_is_table(const struct rl_template *t)
{
    return t->table;
}

static json_t *
lookup(json_t *obj, const char *path, bool *found)
{
    cleanup_free char *copy = xstrdup(path);
    char *save = NULL;
    json_t *cur = obj;

    *found = true;
    for (char *part = strtok_r(copy, ".", &save); part; part = strtok_r(NULL, ".", &save)) {
        json_t *next;
        const char *key;
        json_t *v;

        if (!json_is_object(cur)) {
            *found = json_is_null(cur) || cur == NULL;
            return NULL;
        }
        next = json_object_get(cur, part);
        if (next == NULL) {
            json_object_foreach (cur, key, v) {
                if (strcasecmp(key, part) == 0) {
                    next = v;
                    break;
                }
            }
        }
        if (next == NULL) {
            *found = false;
            return NULL;
        }
        cur = next;
    }
    return cur;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
print_value(json_t *v, FILE *out)
{
    size_t i;
    const char *key;
    json_t *e;
    bool first = true;

    switch (json_typeof(v)) {
    case JSON_STRING:
        fputs(json_string_value(v), out);
        break;
    case JSON_INTEGER:
        fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        fprintf(out, "%g", json_real_value(v));
        break;
    case JSON_TRUE:
        fputs("true", out);
        break;
    case JSON_FALSE:
        fputs("false", out);
        break;
    case JSON_NULL:
        fputs("<no value>", out);
        break;
    case JSON_ARRAY:
        fputc('[', out);
        json_array_foreach (v, i, e) {
            if (i)
                fputc(' ', out);
            print_value(e, out);
        }
        fputc(']', out);
        break;
    case JSON_OBJECT: {
        /* Go prints a map's keys sorted. */
        size_t n = json_object_size(v), k = 0;
        cleanup_free const char **keys = xzalloc((n ? n : 1) * sizeof(char *));
        json_object_foreach (v, key, e)
            keys[k++] = key;
        qsort(keys, n, sizeof(char *), cmp_str);
        fputs("map[", out);
        for (k = 0; k < n; k++) {
            if (!first)
                fputc(' ', out);
            first = false;
            fprintf(out, "%s:", keys[k]);
            print_value(json_object_get(v, keys[k]), out);
        }
        fputc(']', out);
        break;
    }
    }
}

/* Pieces FROM..TO (exclusive) for OBJ; a range repeats its body for each element. */
static int
render_pieces(const struct rl_template *t, size_t from, size_t to, json_t *obj, FILE *out,
              rl_error_t *err)
{
    for (size_t i = from; i < to; i++) {
        const struct piece *p = &t->p[i];
        bool found;
        json_t *v;

        if (p->kind == PIECE_TEXT) {
            fputs(p->text, out);
            continue;
        }
        if (p->kind == PIECE_END)
            continue;
        v = *p->text ? lookup(obj, p->text, &found) : (found = true, obj);
        if (!found)
            return rl_make_error(err, 0, "template: can't evaluate field %s", p->text);
        if (p->kind == PIECE_RANGE) {
            size_t k;
            const char *key;
            json_t *e;
            if (json_is_array(v)) {
                json_array_foreach (v, k, e)
                    if (render_pieces(t, i + 1, p->end, e, out, err) < 0)
                        return -1;
            } else if (json_is_object(v)) {
                json_object_foreach (v, key, e)
                    if (render_pieces(t, i + 1, p->end, e, out, err) < 0)
                        return -1;
            } else if (v && !json_is_null(v)) {
                return rl_make_error(err, 0, "template: range can't iterate over %s", p->text);
            }
            i = p->end;
            continue;
        }
        if (p->kind == PIECE_JSON) {
            char *js = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
            fputs(js ? js : "null", out);
            free(js);
        } else if (v == NULL) {
            fputs("<no value>", out);
        } else {
            print_value(v, out);
        }
    }
    return 0;
}

int
rl_template_render(const struct rl_template *t, json_t *obj, FILE *out, rl_error_t *err)
{
    if (render_pieces(t, 0, t->n, obj, out, err) < 0)
        return -1;
    fputc('\n', out);
    return 0;
}

void
rl_template_header_names(const struct rl_template *t, const char *const (*names)[2], FILE *out)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct piece *p = &t->p[i];
        const char *h = NULL;

        if (p->kind == PIECE_TEXT) {
            fputs(p->text, out);
            continue;
        }
        if (p->kind == PIECE_RANGE || p->kind == PIECE_END)
            continue;
        for (size_t k = 0; names && names[k][0]; k++) {
            if (strcmp(names[k][0], p->text) == 0)
                h = names[k][1];
        }
        if (h) {
            fputs(h, out);
        } else {
            for (const char *c = p->text; *c; c++)
                fputc(*c == '.' ? ' ' : toupper((unsigned char)*c), out);
        }
    }
    fputc('\n', out);
}

void
rl_template_header(const struct rl_template *t, FILE *out)
{
    static const char *const names[][2] = {
        { "ID", "IMAGE ID" },           { "Id", "IMAGE ID" },
        { "CreatedSince", "CREATED" },  { "CreatedAt", "CREATED AT" },
        { "Repository", "REPOSITORY" }, { NULL, NULL },
    };
    rl_template_header_names(t, names, out);
}

/* ------------------------------------------------------------------ tables */

struct rl_table {
    size_t n_cols, n_rows;
    char **cells;
};

struct rl_table *
rl_table_new(size_t n_cols)
{
    struct rl_table *t = xzalloc(sizeof(*t));
    t->n_cols = n_cols;
    return t;
}

void
rl_table_add(struct rl_table *t, const char *const *cells)
{
    t->cells = xrealloc(t->cells, (t->n_rows + 1) * t->n_cols * sizeof(char *));
    for (size_t c = 0; c < t->n_cols; c++)
        t->cells[t->n_rows * t->n_cols + c] = xstrdup(cells[c] ? cells[c] : "");
    t->n_rows++;
}

void
rl_table_print(struct rl_table *t, FILE *out)
{
    cleanup_free size_t *w = xzalloc(t->n_cols * sizeof(size_t));

    for (size_t r = 0; r < t->n_rows; r++)
        for (size_t c = 0; c < t->n_cols; c++) {
            size_t l = strlen(t->cells[r * t->n_cols + c]);
            if (l > w[c])
                w[c] = l;
        }
    for (size_t r = 0; r < t->n_rows; r++) {
        for (size_t c = 0; c < t->n_cols; c++) {
            const char *s = t->cells[r * t->n_cols + c];
            if (c + 1 < t->n_cols)
                fprintf(out, "%-*s  ", (int)w[c], s);
            else
                fputs(s, out);
        }
        fputc('\n', out);
    }
}

void
rl_table_free(struct rl_table *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}

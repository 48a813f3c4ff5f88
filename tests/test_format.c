#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "format.h"
#include "tap.h"

/* Whatever F printed, as a string; F is closed. */
static char *
drain(FILE *f, char **buf)
{
    fclose(f);
    return *buf;
}

static void
size_is(int64_t bytes, const char *want)
{
    char buf[32];

    rl_human_size(bytes, buf, sizeof(buf));
    is_str(buf, want, "rl_human_size(%lld) is '%s'", (long long)bytes, want);
}

/* rl_human_ago for SECS seconds ago, in a static buffer; retried when the clock ticks during
 * the call, so that boundaries are exact. */
static const char *
ago(long long secs)
{
    static char buf[64];
    time_t t0, t1;

    do {
        t0 = time(NULL);
        rl_human_ago(t0 - (time_t)secs, buf, sizeof(buf));
        t1 = time(NULL);
    } while (t0 != t1);
    return buf;
}

static void
ago_is(long long secs, const char *want)
{
    is_str(ago(secs), want, "rl_human_ago(now - %llds) is '%s'", secs, want);
}

static void
test_human_size(void)
{
    char small[4];

    size_is(0, "0 B");
    size_is(1, "1 B");
    size_is(999, "999 B");
    size_is(1000, "1 kB");
    size_is(1500, "1.5 kB");
    size_is(954000, "954 kB");
    size_is(2132480, "2.13 MB");
    size_is(2010000, "2.01 MB");
    size_is(1000000000, "1 GB");
    size_is(1234567890123LL, "1.23 TB");
    size_is(1000000000000000LL, "1 PB");
    /* Three significant digits round 999999 up to 1000 kB, which "%.3g" prints as
     * "1e+03 kB"; it should carry into the next unit. */
    size_is(999999, "1 MB");

    /* A short buffer is truncated, never overrun. */
    rl_human_size(2132480, small, sizeof(small));
    is_str(small, "2.1", "rl_human_size truncates to the buffer");
}

static void
test_human_ago(void)
{
    const long long min = 60, hour = 3600, day = 86400;

    ago_is(0, "Less than a second ago");
    ago_is(-100, "Less than a second ago"); /* in the future */
    ago_is(1, "1 second ago");
    ago_is(2, "2 seconds ago");
    ago_is(59, "59 seconds ago");
    ago_is(min, "About a minute ago");
    ago_is(2 * min - 1, "About a minute ago");
    ago_is(2 * min, "2 minutes ago");
    ago_is(hour - 1, "59 minutes ago");
    ago_is(hour, "About an hour ago");
    ago_is(2 * hour, "2 hours ago");
    ago_is(47 * hour, "47 hours ago");
    ago_is(48 * hour, "2 days ago");
    ago_is(13 * day, "13 days ago");
    ago_is(14 * day, "2 weeks ago");
    ago_is(59 * day, "8 weeks ago");
    ago_is(60 * day, "2 months ago");
    ago_is(100 * day, "3 months ago");
    ago_is(729 * day, "24 months ago");
    ago_is(730 * day, "2 years ago");
    ago_is(3650 * day, "10 years ago");
}

static void
test_parse_rfc3339(void)
{
    is_int(rl_parse_rfc3339("1970-01-01T00:00:00Z"), 0, "the epoch");
    is_int(rl_parse_rfc3339("2024-01-02T03:04:05Z"), 1704164645, "UTC with Z");
    is_int(rl_parse_rfc3339("2024-01-02T03:04:05z"), 1704164645, "UTC with z");
    is_int(rl_parse_rfc3339("2024-01-02T03:04:05.123456789Z"), 1704164645,
           "nanoseconds are dropped");
    is_int(rl_parse_rfc3339("2024-01-02T03:04:05.5Z"), 1704164645, "one fraction digit");
    is_int(rl_parse_rfc3339("2024-01-02T03:04:05+01:00"), 1704164645 - 3600,
           "+01:00 is an hour ahead of UTC");
    is_int(rl_parse_rfc3339("2024-01-02T03:04:05-05:30"), 1704164645 + 5 * 3600 + 30 * 60,
           "-05:30");
    is_int(rl_parse_rfc3339("2024-01-02T03:04:05.25+00:00"), 1704164645, "fraction and +00:00");
    is_int(rl_parse_rfc3339("2024-02-29T23:59:59Z"), 1709251199, "a leap day");

    is_int(rl_parse_rfc3339(NULL), -1, "NULL");
    is_int(rl_parse_rfc3339(""), -1, "empty");
    is_int(rl_parse_rfc3339("yesterday"), -1, "garbage");
    is_int(rl_parse_rfc3339("2024-01-02"), -1, "a date only");
    is_int(rl_parse_rfc3339("2024-01-02T03:04:05"), -1, "no time zone");
    is_int(rl_parse_rfc3339("2024-01-02T03:04:05.123"), -1, "a fraction and no time zone");
    is_int(rl_parse_rfc3339("2024-01-02T03:04:05+0100"), -1, "an offset without ':'");
    is_int(rl_parse_rfc3339("2024-01-02T03:04:05+1:00"), -1, "a one-digit offset hour");
    is_int(rl_parse_rfc3339("2024-13-02T03:04:05Z"), -1, "month 13");
    is_int(rl_parse_rfc3339("2024-01-02 03:04:05Z"), -1, "a space for T");
    is_int(rl_parse_rfc3339("2024-01-02T03:04:05+01:"), -1, "an offset cut after ':'");
    is_int(rl_parse_rfc3339("2024-01-02T03:04:05+01:5"), -1, "a one-digit offset minute");
    is_int(rl_parse_rfc3339("2024-01-02T03:04:05+01:00junk"), -1, "junk after the offset");
    is_int(rl_parse_rfc3339("2024-01-02T03:04:05Zjunk"), -1, "junk after Z");
    is_int(rl_parse_rfc3339("2024-01-02T03:04:05.Z"), -1, "a dot without digits");
}

/* Parse TEXT and render it for OBJ; the output, or NULL with *RET_ERR set. */
static char *
render(const char *text, json_t *obj, rl_error_t *ret_err)
{
    struct rl_template *t = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    int r;

    if (rl_template_parse(text, &t, ret_err) < 0)
        return NULL;
    f = open_memstream(&buf, &len);
    r = rl_template_render(t, obj, f, ret_err);
    rl_template_free(t);
    drain(f, &buf);
    if (r < 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void
render_is(const char *text, json_t *obj, const char *want)
{
    cleanup_error rl_error_t err = NULL;
    cleanup_free char *out = render(text, obj, &err);

    is_str(out, want, "template '%s'", text);
    if (err)
        printf("#   %s\n", err->msg);
}

/* TEXT parses, but rendering it fails with a message containing WANT. */
static void
render_fails(const char *text, json_t *obj, const char *want)
{
    cleanup_error rl_error_t err = NULL;
    cleanup_free char *out = render(text, obj, &err);

    ok(out == NULL && err != NULL, "template '%s' fails", text);
    ok(err && strstr(err->msg, want), "template '%s': the error names '%s'", text, want);
    if (err)
        printf("#   %s\n", err->msg);
}

static void
parse_fails(const char *text, const char *want)
{
    cleanup_error rl_error_t err = NULL;
    struct rl_template *t = NULL;
    int r = rl_template_parse(text, &t, &err);

    ok(r < 0 && t == NULL, "template '%s' does not parse", text);
    ok(err && strstr(err->msg, want), "template '%s': the error says '%s'", text, want);
    if (err)
        printf("#   %s\n", err->msg);
    rl_template_free(t);
}

static char *
header(const char *text)
{
    cleanup_error rl_error_t err = NULL;
    struct rl_template *t = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    if (rl_template_parse(text, &t, &err) < 0)
        return NULL;
    f = open_memstream(&buf, &len);
    rl_template_header(t, f);
    rl_template_free(t);
    return drain(f, &buf);
}

static void
test_templates(void)
{
    json_error_t jerr;
    json_t *obj = json_loads("{\"ID\":\"abc123\",\"Repository\":\"docker.io/library/busybox\","
                             "\"Tag\":\"latest\",\"Size\":2132480,\"ok\":true,\"no\":false,"
                             "\"ratio\":0.5,\"nothing\":null,\"Names\":[\"a\",\"b\"],"
                             "\"Config\":{\"Cmd\":[\"sh\",\"-c\",\"echo hi\"],\"Env\":[],"
                             "\"Labels\":{\"k\":\"v\"},\"User\":null,"
                             "\"Nested\":[[1,2],{\"x\":\"y\"}]},"
                             "\"name\":\"lower\",\"NAME\":\"upper\"}",
                             0, &jerr);
    json_t *unsorted = json_loads("{\"M\":{\"b\":\"2\",\"a\":\"1\"}}", 0, &jerr);
    struct rl_template *t = NULL;
    cleanup_error rl_error_t err = NULL;
    cleanup_free char *h1 = NULL, *h2 = NULL, *h3 = NULL;

    if (obj == NULL || unsorted == NULL) {
        printf("Bail out! test JSON: %s\n", jerr.text);
        exit(1);
    }

    render_is("{{.Repository}}:{{.Tag}}", obj, "docker.io/library/busybox:latest\n");
    render_is("plain text", obj, "plain text\n");
    render_is("", obj, "\n");
    render_is("{{ .ID }}", obj, "abc123\n");
    render_is("{{.ID}}{{.Tag}}", obj, "abc123latest\n");
    render_is("id={{.ID}} size={{.Size}}", obj, "id=abc123 size=2132480\n");
    render_is("{{.ok}} {{.no}} {{.ratio}}", obj, "true false 0.5\n");
    render_is("{{.nothing}}", obj, "<no value>\n");
    render_is("{{.Config.User}}", obj, "<no value>\n");
    render_is("{{.Config.Cmd}}", obj, "[sh -c echo hi]\n");
    render_is("{{.Config.Env}}", obj, "[]\n");
    render_is("{{.Names}}", obj, "[a b]\n");
    render_is("{{.Config.Labels}}", obj, "map[k:v]\n");
    render_is("{{.Config.Nested}}", obj, "[[1 2] map[x:y]]\n");
    render_is("{{.repository}}", obj, "docker.io/library/busybox\n");
    render_is("{{.CONFIG.cmd}}", obj, "[sh -c echo hi]\n");
    render_is("{{.name}}/{{.NAME}}/{{.Name}}", obj, "lower/upper/lower\n");
    render_is("{{json .Config.Cmd}}", obj, "[\"sh\",\"-c\",\"echo hi\"]\n");
    render_is("{{json .ID}}", obj, "\"abc123\"\n");
    render_is("{{json .Size}}", obj, "2132480\n");
    render_is("{{json .Config.User}}", obj, "null\n");
    render_is("{{json .Config.Labels}}", obj, "{\"k\":\"v\"}\n");
    render_is("{{ json  .Tag }}", obj, "\"latest\"\n");
    render_is("{{json .}}", unsorted, "{\"M\":{\"b\":\"2\",\"a\":\"1\"}}\n");
    render_is("{{.}}", json_object_get(json_object_get(obj, "Config"), "Labels"), "map[k:v]\n");
    {
        cleanup_error rl_error_t merr = NULL;
        cleanup_free char *m = render("{{.M}}", unsorted, &merr);
        is_str(m, "map[a:1 b:2]\n", "maps print with sorted keys, as Go's");
    }
    render_is("{{.ID}}\\t{{.Tag}}\\n", obj, "abc123\tlatest\n\n");
    render_is("a\\tb\\nc\\x", obj, "a\tb\nc\\x\n");
    render_is("trailing\\", obj, "trailing\\\n");
    render_is("}} {", obj, "}} {\n");

    render_fails("{{.Nope}}", obj, "Nope");
    render_fails("x {{.Config.Missing}} y", obj, "Config.Missing");
    render_fails("{{.Config.Cmd.First}}", obj, "Config.Cmd.First");
    render_fails("{{json .Nope}}", obj, "Nope");

    parse_fails("{{.ID", "unclosed");
    parse_fails("{{.ID}} {{.Tag", "unclosed");
    parse_fails("{{", "unclosed");
    parse_fails("{{if .ID}}x{{end}}", "unsupported");
    parse_fails("{{.ID | upper}}", "unsupported");
    parse_fails("{{ID}}", "unsupported");
    parse_fails("{{}}", "unsupported");
    parse_fails("{{json}}", "unsupported");
    parse_fails("{{json ID}}", "json");
    parse_fails("{{.Labels.foo-bar}}", "unsupported");

    ok(rl_template_parse("table {{.ID}}\\t{{.Repository}}", &t, &err) == 0, "a table parses");
    ok(t && rl_template_is_table(t), "a leading 'table ' makes a table");
    rl_template_free(t);
    t = NULL;
    ok(rl_template_parse("{{.ID}}", &t, &err) == 0 && !rl_template_is_table(t),
       "without 'table ' it is not a table");
    rl_template_free(t);
    t = NULL;
    ok(rl_template_parse("tables {{.ID}}", &t, &err) == 0 && !rl_template_is_table(t),
       "'tables' is not 'table '");
    rl_template_free(t);
    t = NULL;
    ok(rl_template_parse("table", &t, &err) == 0 && rl_template_is_table(t), "'table' alone");
    rl_template_free(t);
    t = NULL;
    render_is("table {{.ID}}\\t{{.Tag}}", obj, "abc123\tlatest\n");
    h1 = header("table {{.ID}}\\t{{.Repository}}\\t{{.Tag}}\\t{{.CreatedSince}}");
    is_str(h1, "IMAGE ID\tREPOSITORY\tTAG\tCREATED\n", "table header: podman's names, upper case");
    h2 = header("table {{.Config.Cmd}} {{json .Size}}");
    is_str(h2, "CONFIG CMD SIZE\n", "table header: dots become spaces, json fields too");
    h3 = header("table {{.CreatedAt}}|{{.Id}}");
    is_str(h3, "CREATED AT|IMAGE ID\n", "table header: CreatedAt and Id");

    json_decref(obj);
    json_decref(unsorted);
}

static void
test_table(void)
{
    struct rl_table *t = rl_table_new(3);
    const char *const r0[] = { "REPOSITORY", "TAG", "IMAGE ID" };
    const char *const r1[] = { "docker.io/library/busybox", "latest", "abc123" };
    const char *const r2[] = { "x", NULL, "d" };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cleanup_free char *out = NULL;
    cleanup_free char *empty = NULL;

    rl_table_add(t, r0);
    rl_table_add(t, r1);
    rl_table_add(t, r2);
    rl_table_print(t, f);
    out = drain(f, &buf);
    is_str(out,
           "REPOSITORY                 TAG     IMAGE ID\n"
           "docker.io/library/busybox  latest  abc123\n"
           "x                                  d\n",
           "rl_table: columns two spaces apart, the last not padded, NULL as empty");
    rl_table_free(t);

    t = rl_table_new(1);
    buf = NULL;
    f = open_memstream(&buf, &len);
    rl_table_print(t, f);
    empty = drain(f, &buf);
    is_str(empty, "", "rl_table without rows prints nothing");
    rl_table_free(t);
    rl_table_free(NULL);
    ok(1, "rl_table_free(NULL) is fine");
}

int
main(void)
{
    setenv("TZ", "America/New_York", 1); /* times are UTC whatever the local zone */
    tzset();
    test_human_size();
    test_human_ago();
    test_parse_rfc3339();
    test_templates();
    test_table();
    done_testing();
}

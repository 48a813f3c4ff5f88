/* Output helpers shared by the verbs: podman's human sizes and times, and the subset of Go
 * templates that --format takes ("{{.Repository}}:{{.Tag}}", "table {{.ID}}\t{{.Size}}",
 * "{{.Config.Cmd}}", "{{json .}}"). */
#ifndef RL_CMD_FORMAT_H
#define RL_CMD_FORMAT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "error.h"

/* "2.01 MB", "954 kB", "12 B": decimal units, 3 significant digits, like podman. */
void rl_human_size(int64_t bytes, char *buf, size_t len);
/* "3 months ago", "About a minute ago", "Less than a second ago". */
void rl_human_ago(time_t then, char *buf, size_t len);
/* Parse RFC 3339 ("2024-01-02T03:04:05.123Z", "+01:00" offsets) to seconds since the epoch;
 * -1 when it is not one. */
time_t rl_parse_rfc3339(const char *s);

/* A parsed template. TABLE is set by a leading "table ": print a header line made of the
 * field names first. */
struct rl_template;
int rl_template_parse(const char *text, struct rl_template **ret, rl_error_t *err);
void rl_template_free(struct rl_template *t);
bool rl_template_is_table(const struct rl_template *t);
/* Render for OBJ: "{{.A.B}}" looks up keys (case-sensitive, then case-insensitive); strings
 * print bare, arrays as "[a b]", objects as "map[k:v]", null as "<no value>"; "{{json .X}}"
 * prints JSON. "\t" and "\n" escapes are honoured. Output ends with a newline. An unknown
 * field is an error naming it. */
int rl_template_render(const struct rl_template *t, json_t *obj, FILE *out, rl_error_t *err);
/* The header of a table template: each field's name upper-cased, with podman's names for
 * the usual ones (ID -> "IMAGE ID"). */
void rl_template_header(const struct rl_template *t, FILE *out);
/* The same with other verbs' names: pairs {field, header}, ended by {NULL, NULL}. */
void rl_template_header_names(const struct rl_template *t, const char *const (*names)[2],
                              FILE *out);

/* Print rows of cells aligned in columns, two spaces apart (like podman's tabwriter). */
struct rl_table;
struct rl_table *rl_table_new(size_t n_cols);
void rl_table_add(struct rl_table *t, const char *const *cells);
void rl_table_print(struct rl_table *t, FILE *out);
void rl_table_free(struct rl_table *t);

#endif

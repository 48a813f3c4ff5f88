/* Container log files in podman's k8s-file format, as conmon writes them and libpod/logs reads
 * them: one record a line, "<time> <stream> <tag> <content>\n". The time is RFC 3339 with nine
 * fraction digits and the local offset ("2026-11-23T13:45:14.123456789+00:00"), the stream
 * "stdout" or "stderr", the tag F for the end of a line of output (its newline is not stored)
 * or P for a fragment without one yet. Content is raw bytes, anything but '\n'. */
#ifndef RL_CTRLOG_H
#define RL_CTRLOG_H

#include <stdint.h>

#include "error.h"

/* The most content one record carries: longer lines are split into P records. */
#define RL_LOG_RECORD_MAX 16384

struct rl_log_writer;

/* Open PATH for appending (created 0600). MAX_SIZE > 0: when a record would take the file past
 * it, the file is started afresh, empty (conmon's --log-size-max: a new file renamed over the
 * old one, so that a reader holding it open finishes it first); 0 is no limit. */
int rl_log_writer_open(const char *path, int64_t max_size, struct rl_log_writer **ret_writer,
                       rl_error_t *err);
/* Record LEN bytes of output read from STREAM (STDOUT_FILENO or STDERR_FILENO), stamped with
 * the current time: each complete line is an F record, and a trailing fragment is written at
 * once as a P record (not held back, so that "logs -f" shows a prompt). Lines longer than
 * RL_LOG_RECORD_MAX are split into P records. The records of one call go out in one write(2)
 * on an O_APPEND fd, so a concurrent reader never sees half a record but at the very end. */
int rl_log_write(struct rl_log_writer *w, int stream, const char *buf, size_t len, rl_error_t *err);
void rl_log_writer_close(struct rl_log_writer *w);

struct rl_log_read_opts {
    bool timestamps;  /* -t: start each line with its time as podman prints it, "...+01:00 " or,
                       * at offset zero, "2026-11-23T13:45:14.123456789Z " (Go's Z07:00) */
    long long tail;   /* -1: all; N >= 0: only the last N lines (a line is the P records of a
                       * stream up to its F record, or a last P record with no F yet) */
    int64_t since_ns; /* 0: no bound; else only records at or after this time (unix ns) */
    int64_t until_ns; /* 0: no bound; else only records at or before this time */
    bool follow;      /* -f: at the end, wait for more until ALIVE returns false, then drain */
    bool (*alive)(void *data); /* asked at every end of file; NULL follows until an error */
    void *alive_data;
    const char *prefix; /* printed before every line when not NULL ("name " for --names) */
};

/* Write the log at PATH: stdout records to OUT_FD and stderr records to ERR_FD (either may be
 * -1 to leave that stream out), fragments joined: a P record's content goes out without a
 * newline, the F record ending the line adds it, and the prefix and time start the line only.
 * Lines that cannot be parsed are skipped. A missing file is an empty log (a container that
 * never wrote), though with FOLLOW it is waited for. While following, a file truncated or
 * replaced by the writer is read again from its start. O NULL means all of it, no options. */
int rl_log_read(const char *path, const struct rl_log_read_opts *o, int out_fd, int err_fd,
                rl_error_t *err);

struct rl_log_record {
    int64_t time_ns;     /* unix time */
    int utc_offset;      /* seconds east of UTC the time was written with */
    int stream;          /* STDOUT_FILENO or STDERR_FILENO */
    bool partial;        /* P: the line goes on in a later record */
    const char *content; /* points into the line given */
    size_t len;
};

/* Parse one record LINE of LEN bytes, without its '\n'. Returns -1 if it is not a record (no
 * error object: a damaged line is skipped, not reported); *RET_RECORD is set only on success. */
int rl_log_parse_line(const char *line, size_t len, struct rl_log_record *ret_record);

/* Parse a --since/--until value as podman does: RFC 3339 with or without a fraction and with
 * Z or an offset, "2006-01-02T15:04:05" (UTC), "2006-01-02" with or without a zone (midnight),
 * unix seconds "1700000000" or "1700000000.5", or a Go duration ("10m", "1h30m", "1.5s")
 * meaning NOW_NS minus it. */
int rl_log_parse_time(const char *s, int64_t now_ns, int64_t *ret_ns, rl_error_t *err);

#endif

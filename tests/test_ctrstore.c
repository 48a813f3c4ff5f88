#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctrstore.h"
#include "fs.h"
#include "json.h"
#include "state.h"
#include "tap.h"

static char store[] = "/tmp/rl-test-ctrstore.XXXXXX";

static char *
create(const char *name, const char *created)
{
    cleanup_error rl_error_t err = NULL;
    json_t *rec = json_pack("{s:s, s:{s:s}}", "Created", created, "State", "Status", "created");
    char *id = NULL;

    if (rl_ctr_create(store, name, rec, &id, &err) < 0)
        id = NULL;
    json_decref(rec);
    return id;
}

static void
test_create_and_lookup(void)
{
    cleanup_free char *a = create("alpha", "2026-01-01T00:00:00Z");
    cleanup_free char *b = create(NULL, "2026-01-02T00:00:00Z");
    cleanup_free char *found = NULL;
    cleanup_error rl_error_t err = NULL;
    cleanup_json json_t *rec = NULL;
    cleanup_strv char **ids = NULL;
    const char *gen;

    ok(a != NULL && strlen(a) == 64, "create gives a 64-hex id");
    ok(b != NULL, "create without a name");
    ok(rl_ctr_load(store, b, &rec, &err) == 0, "load the record");
    gen = json_string_value(json_object_get(rec, "Name"));
    ok(gen && strchr(gen, '_') != NULL, "a generated name is adjective_name: %s", gen ? gen : "");
    is_str(json_string_value(json_object_get(rec, "Id")), b, "the record has its id");

    ok(rl_ctr_lookup(store, "alpha", &found, &err) == 0, "lookup by name");
    is_str(found, a, "the name finds its container");
    free(found);
    found = NULL;
    ok(rl_ctr_lookup(store, a, &found, &err) == 0, "lookup by full id");
    free(found);
    found = NULL;
    {
        char prefix[13];
        memcpy(prefix, b, 12);
        prefix[12] = '\0';
        ok(rl_ctr_lookup(store, prefix, &found, &err) == 0 && strcmp(found, b) == 0,
           "lookup by a 12-character prefix");
        free(found);
        found = NULL;
    }
    ok(rl_ctr_lookup(store, "nosuch", &found, &err) < 0 && err->status == ENOENT,
       "an unknown name is ENOENT");
    ok(err && strstr(err->msg, "no container with name or ID \"nosuch\" found"),
       "podman's words: %s", err ? err->msg : "");
    rl_error_release(&err);
    ok(rl_ctr_lookup(store, "", &found, &err) < 0, "an empty name is refused");
    rl_error_release(&err);

    ok(rl_ctr_list(store, &ids, &err) == 0, "list");
    ok(rl_strv_len(ids) == 2 && strcmp(ids[0], a) == 0 && strcmp(ids[1], b) == 0,
       "listed oldest first");
}

static void
test_names(void)
{
    cleanup_error rl_error_t err = NULL;
    cleanup_free char *c = NULL;
    json_t *rec = json_object();
    char *id = NULL;

    ok(rl_ctr_create(store, "alpha", rec, &id, &err) < 0 && err->status == EEXIST,
       "a name in use is refused");
    ok(strstr(err->msg, "already in use") != NULL, "says so: %s", err->msg);
    rl_error_release(&err);
    ok(rl_ctr_create(store, "bad name", rec, &id, &err) < 0, "a name with a space is refused");
    rl_error_release(&err);
    ok(rl_ctr_create(store, "-dash", rec, &id, &err) < 0, "a name starting with '-' is refused");
    rl_error_release(&err);
    ok(rl_ctr_check_name("a.b_c-9", NULL) == 0, "dots, underscores, dashes and digits are fine");
    ok(rl_ctr_check_name("", &err) < 0, "the empty name is refused");
    rl_error_release(&err);
    json_decref(rec);

    c = create("gamma", "2026-01-03T00:00:00Z");
    ok(rl_ctr_rename(store, c, "alpha", &err) < 0 && err->status == EEXIST,
       "rename to a name in use is refused");
    rl_error_release(&err);
    ok(rl_ctr_rename(store, c, "delta", &err) == 0, "rename");
    {
        cleanup_free char *f = NULL;
        ok(rl_ctr_lookup(store, "delta", &f, &err) == 0 && strcmp(f, c) == 0,
           "the new name finds it");
        rl_error_release(&err);
        ok(rl_ctr_lookup(store, "gamma", &f, &err) < 0, "the old name does not");
        rl_error_release(&err);
    }
    ok(rl_ctr_remove(store, c, &err) == 0, "remove");
    {
        cleanup_free char *dir = rl_ctr_dir(store, c);
        struct stat st;
        ok(stat(dir, &st) < 0 && errno == ENOENT, "its directory is gone");
    }
}

/* Many processes create the same name at once: exactly one wins. */
static void
test_concurrent_names(void)
{
    int wins = 0, losses = 0;
    pid_t pids[8];

    for (int i = 0; i < 8; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            char *id = create("race", "2026-02-01T00:00:00Z");
            _exit(id ? 0 : 1);
        }
    }
    for (int i = 0; i < 8; i++) {
        int status = 0;
        waitpid(pids[i], &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            wins++;
        else
            losses++;
    }
    is_int(wins, 1, "one of 8 concurrent creates of one name wins");
    is_int(losses, 7, "the others are refused");
}

static void
test_refresh(void)
{
    json_t *rec = json_pack("{s:{s:s, s:b, s:i, s:i, s:i}, s:{s:i, s:i}}", "State", "Status",
                            "running", "Running", 1, "Pid", 999999, "StartTime", 12345, "ExitCode",
                            0, "rl", "MonitorPid", 999998, "MonitorStartTime", 1);
    json_t *live;
    pid_t self = getpid();

    ok(rl_ctr_is_running(rec), "running before the refresh");
    ok(rl_ctr_refresh(rec), "a container whose process and monitor are gone changes");
    is_str(rl_ctr_status(rec), "exited", "it is exited");
    is_int(json_integer_value(json_object_get(json_object_get(rec, "State"), "ExitCode")), 137,
           "with 137: it died with its monitor");
    ok(!rl_ctr_refresh(rec), "a second refresh changes nothing");
    json_decref(rec);

    live = json_pack("{s:{s:s, s:i, s:I}}", "State", "Status", "running", "Pid", (int)self,
                     "StartTime", (json_int_t)rl_proc_start_time(self));
    ok(!rl_ctr_refresh(live), "a live process stays running");
    is_str(rl_ctr_status(live), "running", "still running");
    json_decref(live);
    /* A reused pid (same pid, other start time) is not the container. */
    live = json_pack("{s:{s:s, s:i, s:I}}", "State", "Status", "running", "Pid", (int)self,
                     "StartTime", (json_int_t)rl_proc_start_time(self) + 1);
    ok(rl_ctr_refresh(live), "a reused pid does not keep a container running");
    json_decref(live);
}

static void
test_corrupt(void)
{
    cleanup_free char *id = create("broken", "2026-03-01T00:00:00Z");
    cleanup_free char *path = xasprintf("%s/containers/%s/container.json", store, id);
    cleanup_error rl_error_t err = NULL;
    cleanup_strv char **ids = NULL;
    json_t *rec = NULL;

    ok(rl_write_file_atomic(path, "{not json", 9, 0600, false, &err) == 0, "damage a record");
    ok(rl_ctr_load(store, id, &rec, &err) < 0 && strstr(err->msg, "corrupt"),
       "a damaged record is an error that says so");
    rl_error_release(&err);
    ok(rl_ctr_list(store, &ids, &err) == 0, "list still works");
    ok(rl_ctr_lock(store, "0000000000000000000000000000000000000000000000000000000000000000",
                   LOCK_EX, &err)
           < 0,
       "locking an unknown container fails");
}

int
main(void)
{
    cleanup_error rl_error_t err = NULL;

    if (mkdtemp(store) == NULL)
        return 1;
    test_create_and_lookup();
    test_names();
    test_concurrent_names();
    test_refresh();
    test_corrupt();
    rl_rm_rf(store, &err);
    done_testing();
}

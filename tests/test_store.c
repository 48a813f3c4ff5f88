#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fs.h"
#include "store.h"
#include "tap.h"

static char base[] = "/tmp/rl-test-store-XXXXXX";

/* 64 hex digits made of C. */
static const char *
hex64(char c)
{
    static char bufs[16][65];
    static int next;
    char *b = bufs[next++ % 16];

    memset(b, c, 64);
    b[64] = '\0';
    return b;
}

static char *
at(const char *rel)
{
    return xasprintf("%s/%s", base, rel);
}

static bool
exists_at(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int
mode_of(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static bool
is_dir(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void
put(const char *path, const char *text)
{
    FILE *f = fopen(path, "we");
    if (f == NULL) {
        printf("Bail out! create '%s': %s\n", path, strerror(errno));
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

static char *
slurp(const char *path)
{
    cleanup_error rl_error_t err = NULL;
    char *buf = NULL;

    if (rl_read_file(path, 1 << 20, &buf, NULL, &err) < 0)
        return NULL;
    return buf;
}

static size_t
count_entries(const char *path)
{
    cleanup_dir DIR *d = opendir(path);
    struct dirent *de;
    size_t n = 0;

    if (d == NULL)
        return (size_t)-1;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    return n;
}

static struct rl_store *
open_store(const char *rel)
{
    cleanup_free char *root = at(rel);
    cleanup_error rl_error_t err = NULL;
    struct rl_store *s = NULL;

    if (rl_store_open(root, &s, &err) < 0) {
        printf("Bail out! rl_store_open '%s': %s\n", root, err->msg);
        exit(1);
    }
    return s;
}

static void
test_open(void)
{
    cleanup_free char *root = at("open/store");
    cleanup_free char *blobs = at("open/store/blobs"), *sha = at("open/store/blobs/sha256");
    cleanup_free char *layers = at("open/store/layers"), *tmp = at("open/store/tmp");
    cleanup_free char *lock = at("open/store/storage.lock");
    cleanup_free char *file = at("open/file");
    cleanup_free char *under_file = at("open/file/store");
    cleanup_error rl_error_t err = NULL;
    struct rl_store *s = NULL, *s2 = NULL;
    struct stat st;

    ok(rl_store_open(root, &s, &err) == 0 && s != NULL, "rl_store_open creates a store");
    if (err)
        printf("#   %s\n", err->msg);
    if (s == NULL)
        return;
    is_str(s->root, root, "the root is kept");
    ok(s->root_fd >= 0 && s->lock_fd >= 0 && s->locked == 0, "fds open, not locked");
    is_int(mode_of(root), 0700, "the root is mode 0700");
    ok(is_dir(blobs) && is_dir(sha) && is_dir(layers) && is_dir(tmp),
       "blobs/sha256, layers and tmp exist");
    is_int(mode_of(sha), 0700, "blobs/sha256 is mode 0700");
    is_int(mode_of(layers), 0700, "layers is mode 0700");
    is_int(mode_of(tmp), 0700, "tmp is mode 0700");
    ok(lstat(lock, &st) == 0 && S_ISREG(st.st_mode), "storage.lock is a file");
    is_int(mode_of(lock), 0600, "storage.lock is mode 0600");
    ok(fcntl(s->lock_fd, F_GETFD) & FD_CLOEXEC, "the lock fd is close-on-exec");

    ok(rl_store_open(root, &s2, &err) == 0 && s2 != NULL, "an existing store opens again");
    if (s2) {
        ok(rl_store_lock(s, LOCK_EX, &err) == 0 && s->locked == LOCK_EX, "LOCK_EX");
        ok(flock(s2->lock_fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK,
           "a second handle cannot share while LOCK_EX is held");
        ok(rl_store_lock(s, LOCK_UN, &err) == 0 && s->locked == 0, "LOCK_UN");
        ok(rl_store_lock(s, LOCK_SH, &err) == 0 && s->locked == LOCK_SH, "LOCK_SH");
        ok(flock(s2->lock_fd, LOCK_SH | LOCK_NB) == 0, "two shared locks coexist");
        ok(flock(s2->lock_fd, LOCK_EX | LOCK_NB) < 0, "no exclusive lock beside a shared one");
        (void)rl_store_lock(s, LOCK_UN, &err);
    }
    rl_store_close(s2);
    rl_store_close(s);
    rl_store_close(NULL);

    put(file, "x");
    s = NULL;
    ok(rl_store_open(under_file, &s, &err) < 0 && s == NULL, "a root below a file fails");
    ok(err && strstr(err->msg, "image store") && err->status == ENOTDIR,
       "the error says 'image store', ENOTDIR");
    if (err)
        printf("#   %s\n", err->msg);

    {
        cleanup_free char *dflt = rl_store_default_root();
        if (geteuid() == 0)
            is_str(dflt, "/var/lib/rl", "the default root for root");
        else
            ok(dflt && strstr(dflt, "/rl") != NULL, "the default root ends in rl");
    }
}

static json_t *
sample_images(void)
{
    json_error_t jerr;
    char *text = xasprintf(
        "["
        "{\"id\":\"1111%s\",\"names\":[\"docker.io/library/busybox:latest\",\"quay.io/x/y:1\"],"
        "\"digest\":\"sha256:%s\","
        "\"repoDigests\":[\"docker.io/library/busybox@sha256:%s\"],"
        "\"layers\":[\"%s\",\"%s\"],\"size\":10},"
        "{\"id\":\"1112%s\",\"names\":[\"localhost:5000/abc:2.0\"],\"digest\":\"sha256:%s\","
        "\"repoDigests\":[],\"layers\":[\"%s\"]},"
        "{\"id\":\"%s\",\"names\":[],\"digest\":\"sha256:%s\",\"layers\":[]},"
        "{\"id\":\"%s\",\"names\":[\"docker.io/library/cccc:latest\"],\"digest\":\"sha256:%s\","
        "\"layers\":[]}"
        "]",
        hex64('a') + 4, hex64('d'), hex64('d'), hex64('1'), hex64('2'), hex64('b') + 4, hex64('e'),
        hex64('1'), hex64('c'), hex64('f'), hex64('9'), hex64('8'));
    json_t *j = json_loads(text, 0, &jerr);

    free(text);
    if (j == NULL) {
        printf("Bail out! sample JSON: %s\n", jerr.text);
        exit(1);
    }
    return j;
}

static void
find_is(json_t *images, const char *what, long want)
{
    cleanup_error rl_error_t err = NULL;
    long got = rl_store_image_find(images, what, &err);

    is_int(got, want, "find '%s'", what);
    ok(err == NULL, "find '%s': no error", what);
    if (err)
        printf("#   %s\n", err->msg);
}

static void
find_fails(json_t *images, const char *what, int status, const char *msg)
{
    cleanup_error rl_error_t err = NULL;
    long got = rl_store_image_find(images, what, &err);

    ok(got < 0 && err != NULL, "find '%s' fails", what);
    ok(err && err->status == status && strstr(err->msg, msg),
       "find '%s': status %d, error says '%s'", what, status, msg);
    if (err)
        printf("#   %d %s\n", err->status, err->msg);
}

static void
test_images(void)
{
    struct rl_store *s = open_store("images");
    cleanup_free char *path = xasprintf("%s/images.json", s->root);
    cleanup_error rl_error_t err = NULL;
    cleanup_json json_t *images = sample_images();
    cleanup_json json_t *loaded = NULL;
    cleanup_json json_t *empty = NULL;
    cleanup_free char *by_digest = NULL, *by_digest2 = NULL, *by_other = NULL;
    cleanup_free char *sha_id = NULL, *full_b = NULL;

    ok(rl_store_images_load(s, &empty, &err) == 0 && json_is_array(empty)
           && json_array_size(empty) == 0,
       "no images.json: an empty array");
    ok(rl_store_images_save(s, images, &err) == 0, "save the records");
    if (err)
        printf("#   %s\n", err->msg);
    is_int(mode_of(path), 0600, "images.json is mode 0600");
    ok(rl_store_images_load(s, &loaded, &err) == 0 && json_equal(loaded, images),
       "load gives back what was saved");
    json_decref(loaded);
    loaded = NULL;

    put(path, "{\"images\": [ {\"id\": 1}, ");
    ok(rl_store_images_load(s, &loaded, &err) < 0 && loaded == NULL, "malformed images.json fails");
    ok(err && strstr(err->msg, path), "the error names the file");
    if (err)
        printf("#   %s\n", err->msg);
    rl_error_release(&err);

    put(path, "{\"images\": {}}");
    ok(rl_store_images_load(s, &loaded, &err) < 0, "images not an array fails");
    ok(err && strstr(err->msg, path) && strstr(err->msg, "array"),
       "the error names the file and wants an array");
    rl_error_release(&err);
    put(path, "[]");
    ok(rl_store_images_load(s, &loaded, &err) < 0, "a top-level array fails");
    rl_error_release(&err);
    put(path, "{}");
    ok(rl_store_images_load(s, &loaded, &err) < 0, "no \"images\" key fails");
    rl_error_release(&err);
    rl_store_close(s);

    /* Lookups. */
    find_is(images, "docker.io/library/busybox:latest", 0);
    find_is(images, "busybox", 0);
    find_is(images, "busybox:latest", 0);
    find_is(images, "library/busybox", 0);
    find_is(images, "docker.io/busybox", 0);
    find_is(images, "quay.io/x/y:1", 0);
    find_is(images, "localhost:5000/abc:2.0", 1);
    by_digest = xasprintf("busybox@sha256:%s", hex64('d'));
    find_is(images, by_digest, 0);
    by_digest2 = xasprintf("docker.io/library/busybox@sha256:%s", hex64('d'));
    find_is(images, by_digest2, 0);
    by_other = xasprintf("localhost:5000/abc@sha256:%s", hex64('e'));
    find_is(images, by_other, 1);
    full_b = xasprintf("1112%s", hex64('b') + 4);
    find_is(images, full_b, 1);
    sha_id = xasprintf("sha256:%s", hex64('c'));
    find_is(images, sha_id, 2);
    find_is(images, hex64('c'), 2);
    find_is(images, "ccc", 2);
    find_is(images, "sha256:ccc", 2);
    find_is(images, "1111", 0);
    find_is(images, "1112b", 1);
    /* A name wins over an id prefix ("cccc" is both). */
    find_is(images, "cccc", 3);
    find_is(images, "999", 3);

    find_fails(images, "111", 0, "ambiguous");
    find_fails(images, "sha256:11", 0, "ambiguous");
    find_fails(images, "nothere", ENOENT, "image not known");
    find_fails(images, "busybox:1.36", ENOENT, "image not known");
    find_fails(images, "abc:2.0", ENOENT, "image not known");
    find_fails(images, "", ENOENT, "image not known");
    find_fails(images, "1111X", ENOENT, "image not known");
    {
        cleanup_free char *longid = xasprintf("%s0", hex64('c'));
        find_fails(images, longid, ENOENT, "image not known");
    }

    /* Untag. */
    rl_store_image_untag(images, "quay.io/x/y:1");
    is_int(json_array_size(json_object_get(json_array_get(images, 0), "names")), 1,
           "untag removes the name");
    is_str(
        json_string_value(json_array_get(json_object_get(json_array_get(images, 0), "names"), 0)),
        "docker.io/library/busybox:latest", "the other name stays");
    find_fails(images, "quay.io/x/y:1", ENOENT, "image not known");
    find_is(images, "busybox", 0);
    rl_store_image_untag(images, "not-a-name");
    is_int(json_array_size(images), 4, "untag of an unknown name changes nothing");
    {
        json_error_t jerr;
        cleanup_json json_t *dup = json_loads(
            "[{\"names\":[\"x\",\"x\",\"y\",\"x\"]},{\"names\":[\"x\"]},{\"id\":\"n\"}]", 0, &jerr);
        cleanup_json json_t *want =
            json_loads("[{\"names\":[\"y\"]},{\"names\":[]},{\"id\":\"n\"}]", 0, &jerr);
        rl_store_image_untag(dup, "x");
        ok(json_equal(dup, want), "untag removes every occurrence, in every record");
    }
}

static void
test_blobs(void)
{
    struct rl_store *s = open_store("blobs");
    /* sha256("hello") */
    const char *digest = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    cleanup_free char *path = xasprintf("%s/blobs/sha256/%s", s->root, digest + 7);
    cleanup_error rl_error_t err = NULL;
    cleanup_free char *buf = NULL;
    char *tmpbuf = NULL;
    size_t len = 0;
    const char *bad[] = { "sha256:xyz",
                          "md5:d41d8cd98f00b204e9800998ecf8427e",
                          "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
                          "sha256:2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824",
                          "sha256:../../../../etc/passwd",
                          "" };

    ok(!rl_store_blob_exists(s, digest), "no blob yet");
    ok(rl_store_blob_put(s, digest, "hello", 5, &err) == 0, "put a blob");
    if (err)
        printf("#   %s\n", err->msg);
    ok(rl_store_blob_exists(s, digest), "the blob exists");
    is_int(mode_of(path), 0600, "blobs/sha256/HEX, mode 0600");
    ok(rl_store_blob_read(s, digest, 1024, &buf, &len, &err) == 0, "read it back");
    is_int(len, 5, "length");
    is_str(buf, "hello", "content");
    ok(rl_store_blob_put(s, digest, "hello", 5, &err) == 0, "put the same blob again");
    ok(rl_store_blob_read(s, digest, 2, &tmpbuf, &len, &err) < 0 && tmpbuf == NULL,
       "read with a smaller bound fails");
    ok(err && err->status == EFBIG && strstr(err->msg, digest), "EFBIG, the error names the blob");
    rl_error_release(&err);
    ok(rl_store_blob_read(s,
                          "sha256:"
                          "0000000000000000000000000000000000000000000000000000000000000000",
                          1024, &tmpbuf, &len, &err)
           < 0,
       "read a missing blob fails");
    ok(err && err->status == ENOENT, "ENOENT");
    rl_error_release(&err);

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ok(rl_store_blob_put(s, bad[i], "x", 1, &err) < 0 && err != NULL,
           "put refuses the digest '%s'", bad[i]);
        rl_error_release(&err);
        ok(!rl_store_blob_exists(s, bad[i]), "exists is false for '%s'", bad[i]);
        ok(rl_store_blob_read(s, bad[i], 1024, &tmpbuf, &len, &err) < 0,
           "read refuses the digest '%s'", bad[i]);
        rl_error_release(&err);
    }
    is_int(count_entries(s->root), 4, "nothing was written outside blobs/ (blobs layers tmp lock)");
    rl_store_close(s);
}

/* A child that holds an flock on PATH until its stdin pipe closes; returns its pid. */
static pid_t
lock_in_child(const char *path, int *ret_release_fd)
{
    int ready[2], release[2];
    pid_t pid;
    char c;

    if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(release, O_CLOEXEC) < 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd;

        close(ready[0]);
        close(release[1]);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || flock(fd, LOCK_EX) < 0)
            _exit(1);
        (void)!write(ready[1], "r", 1);
        (void)!read(release[0], &c, 1);
        _exit(0);
    }
    close(ready[1]);
    close(release[0]);
    if (read(ready[0], &c, 1) != 1) {
        close(ready[0]);
        close(release[1]);
        waitpid(pid, NULL, 0);
        return -1;
    }
    close(ready[0]);
    *ret_release_fd = release[1];
    return pid;
}

static void
test_tmp(void)
{
    struct rl_store *s = open_store("tmp");
    cleanup_free char *tmpdir = xasprintf("%s/tmp", s->root);
    cleanup_free char *stale = xasprintf("%s/tmp/stale", s->root);
    cleanup_free char *stale_sub = xasprintf("%s/tmp/stale/sub", s->root);
    cleanup_free char *stale_file = xasprintf("%s/tmp/stale/sub/f", s->root);
    cleanup_free char *held = xasprintf("%s/tmp/held-by-child", s->root);
    cleanup_free char *plain = xasprintf("%s/tmp/plain-file", s->root);
    cleanup_error rl_error_t err = NULL;
    struct rl_store_tmp t = { .fd = -1 }, t2 = { .fd = -1 };
    cleanup_close int probe = -1;
    cleanup_free char *saved = NULL;
    int release_fd = -1, status = 0;
    pid_t child;

    ok(rl_store_tmp_new(s, &t, &err) == 0, "tmp_new");
    if (err)
        printf("#   %s\n", err->msg);
    if (t.path == NULL)
        return;
    ok(rl_str_has_prefix(t.path, tmpdir) && t.path[strlen(tmpdir)] == '/', "below ROOT/tmp/");
    ok(is_dir(t.path), "the work directory exists");
    is_int(mode_of(t.path), 0700, "mode 0700");
    probe = open(t.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ok(probe >= 0 && flock(probe, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK,
       "the work directory is flock'ed");
    ok(rl_store_tmp_new(s, &t2, &err) == 0 && strcmp(t.path, t2.path) != 0,
       "a second work directory has another name");
    saved = xstrdup(t2.path);
    rl_store_tmp_release(&t2);
    ok(!exists_at(saved) && t2.path == NULL && t2.fd == -1, "tmp_release removes it");
    rl_store_tmp_release(&t2);
    ok(1, "a second tmp_release is harmless");

    if (mkdir(stale, 0700) < 0 || mkdir(stale_sub, 0700) < 0 || mkdir(held, 0700) < 0) {
        printf("Bail out! mkdir: %s\n", strerror(errno));
        exit(1);
    }
    put(stale_file, "data");
    put(plain, "not a directory");
    child = lock_in_child(held, &release_fd);
    ok(child > 0, "a child holds a lock on tmp/held-by-child");

    ok(rl_store_tmp_cleanup(s, &err) == 0, "tmp_cleanup");
    if (err)
        printf("#   %s\n", err->msg);
    ok(!exists_at(stale), "a stale (unlocked) directory is removed, with its contents");
    ok(is_dir(t.path), "our own locked work directory stays");
    ok(is_dir(held), "a directory locked by another process stays");
    ok(exists_at(plain), "a plain file in tmp/ is left alone");

    if (child > 0) {
        close(release_fd);
        waitpid(child, &status, 0);
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child exited");
        ok(rl_store_tmp_cleanup(s, &err) == 0 && !exists_at(held),
           "once its owner died the directory is removed");
    }
    rl_store_tmp_release(&t);
    ok(!exists_at(saved) && count_entries(tmpdir) == 1, "only the plain file is left in tmp/");
    rl_store_close(s);
}

/* A work directory holding diff/FILE with TEXT and a layer.json. */
static void
make_layer_tmp(struct rl_store *s, struct rl_store_tmp *t, const char *text)
{
    cleanup_error rl_error_t err = NULL;
    cleanup_free char *diff = NULL, *file = NULL, *meta = NULL;

    if (rl_store_tmp_new(s, t, &err) < 0) {
        printf("Bail out! tmp_new: %s\n", err->msg);
        exit(1);
    }
    diff = xasprintf("%s/diff", t->path);
    file = xasprintf("%s/diff/file", t->path);
    meta = xasprintf("%s/layer.json", t->path);
    if (mkdir(diff, 0755) < 0) {
        printf("Bail out! mkdir '%s': %s\n", diff, strerror(errno));
        exit(1);
    }
    put(file, text);
    put(meta, "{\"diffId\":\"sha256:x\",\"size\":4}");
}

static void
test_commit(void)
{
    struct rl_store *s = open_store("commit");
    const char *chain = hex64('7');
    cleanup_free char *dst = xasprintf("%s/layers/%s", s->root, chain);
    cleanup_free char *file = xasprintf("%s/layers/%s/diff/file", s->root, chain);
    cleanup_free char *want_path = xasprintf("%s/layers/%s/diff", s->root, chain);
    cleanup_free char *lpath = NULL, *content = NULL, *content2 = NULL, *second = NULL;
    cleanup_free char *bad_meta = xasprintf("%s/layers/%s/layer.json", s->root, hex64('6'));
    cleanup_free char *bad_dir = xasprintf("%s/layers/%s", s->root, hex64('6'));
    cleanup_error rl_error_t err = NULL;
    cleanup_json json_t *meta = NULL;
    json_t *nometa = NULL;
    struct rl_store_tmp t = { .fd = -1 }, t2 = { .fd = -1 };

    ok(!rl_store_layer_exists(s, chain), "no layer yet");
    make_layer_tmp(s, &t, "one");
    (void)rl_store_lock(s, LOCK_EX, &err);
    ok(rl_store_layer_commit(s, &t, chain, &err) == 0, "commit a layer");
    if (err)
        printf("#   %s\n", err->msg);
    ok(t.path == NULL, "the work directory is gone from tmp (renamed)");
    ok(is_dir(dst), "layers/HEX exists");
    ok(rl_store_layer_exists(s, chain), "rl_store_layer_exists");
    lpath = rl_store_layer_path(s, chain);
    is_str(lpath, want_path, "rl_store_layer_path is ROOT/layers/HEX/diff");
    content = slurp(file);
    is_str(content, "one", "the layer's content");
    ok(rl_store_layer_meta(s, chain, &meta, &err) == 0 && json_is_object(meta)
           && json_integer_value(json_object_get(meta, "size")) == 4,
       "rl_store_layer_meta reads layer.json");
    ok(rl_store_layer_disk_usage(s, chain) > 0, "disk usage of a layer is > 0");
    is_int(rl_store_layer_disk_usage(s, hex64('5')), 0, "disk usage of a missing layer is 0");
    rl_store_tmp_release(&t);
    ok(is_dir(dst), "releasing the committed work directory leaves the layer");

    make_layer_tmp(s, &t2, "two");
    second = xstrdup(t2.path);
    ok(rl_store_layer_commit(s, &t2, chain, &err) == 0, "a second commit of the same chain id");
    if (err)
        printf("#   %s\n", err->msg);
    content2 = slurp(file);
    is_str(content2, "one", "the first copy is kept");
    rl_store_tmp_release(&t2);
    ok(!exists_at(second), "the second copy is removed on release");
    (void)rl_store_lock(s, LOCK_UN, &err);

    ok(!rl_store_layer_exists(s, hex64('5')), "a missing layer does not exist");
    ok(rl_store_layer_meta(s, hex64('5'), &nometa, &err) < 0 && err && err->status == ENOENT,
       "layer_meta of a missing layer: ENOENT");
    rl_error_release(&err);
    if (mkdir(bad_dir, 0700) == 0)
        put(bad_meta, "{broken");
    ok(rl_store_layer_meta(s, hex64('6'), &nometa, &err) < 0 && err
           && strstr(err->msg, "layer.json"),
       "layer_meta of a malformed layer.json fails naming it");
    rl_error_release(&err);
    ok(!rl_store_layer_exists(s, hex64('6')), "a layer without diff/ does not exist");
    put(bad_meta, "[1]");
    ok(rl_store_layer_meta(s, hex64('6'), &nometa, &err) < 0, "layer.json not an object fails");
    rl_store_close(s);
}

static void
commit_layer(struct rl_store *s, const char *chain)
{
    cleanup_error rl_error_t err = NULL;
    struct rl_store_tmp t = { .fd = -1 };

    make_layer_tmp(s, &t, chain);
    if (rl_store_layer_commit(s, &t, chain, &err) < 0) {
        printf("Bail out! commit: %s\n", err->msg);
        exit(1);
    }
    rl_store_tmp_release(&t);
}

static void
put_blob(struct rl_store *s, char c)
{
    cleanup_error rl_error_t err = NULL;
    cleanup_free char *digest = xasprintf("sha256:%s", hex64(c));

    if (rl_store_blob_put(s, digest, "b", 1, &err) < 0) {
        printf("Bail out! blob_put: %s\n", err->msg);
        exit(1);
    }
}

static bool
blob_there(struct rl_store *s, char c)
{
    cleanup_free char *digest = xasprintf("sha256:%s", hex64(c));
    return rl_store_blob_exists(s, digest);
}

static void
test_gc(void)
{
    struct rl_store *s = open_store("gc");
    cleanup_free char *tmpdir = xasprintf("%s/tmp", s->root);
    cleanup_free char *layersdir = xasprintf("%s/layers", s->root);
    cleanup_free char *text = NULL;
    cleanup_error rl_error_t err = NULL;
    cleanup_json json_t *images = NULL;
    json_error_t jerr;
    size_t removed = 99;

    /* Image: config 'a' (its id), manifest 'b' (its digest), extra blob 'c', layers 1 and 2. */
    text = xasprintf("[{\"id\":\"%s\",\"digest\":\"sha256:%s\",\"blobs\":[\"sha256:%s\"],"
                     "\"layers\":[\"%s\",\"%s\"],\"names\":[\"x:1\"]}]",
                     hex64('a'), hex64('b'), hex64('c'), hex64('1'), hex64('2'));
    images = json_loads(text, 0, &jerr);
    commit_layer(s, hex64('1'));
    commit_layer(s, hex64('2'));
    commit_layer(s, hex64('3'));
    commit_layer(s, hex64('4'));
    put_blob(s, 'a');
    put_blob(s, 'b');
    put_blob(s, 'c');
    put_blob(s, 'd');
    put_blob(s, 'e');

    (void)rl_store_lock(s, LOCK_EX, &err);
    ok(rl_store_gc(s, images, &removed, &err) == 0, "gc");
    if (err)
        printf("#   %s\n", err->msg);
    is_int(removed, 2, "two layers removed");
    ok(rl_store_layer_exists(s, hex64('1')) && rl_store_layer_exists(s, hex64('2')),
       "referenced layers stay");
    ok(!rl_store_layer_exists(s, hex64('3')) && !rl_store_layer_exists(s, hex64('4')),
       "unreferenced layers are gone");
    is_int(count_entries(layersdir), 2, "layers/ holds two entries");
    is_int(count_entries(tmpdir), 0, "nothing left in tmp/");
    ok(blob_there(s, 'a'), "the config blob (the image id) stays");
    ok(blob_there(s, 'b'), "the manifest blob (the digest) stays");
    ok(blob_there(s, 'c'), "a blob listed in \"blobs\" stays");
    ok(!blob_there(s, 'd') && !blob_there(s, 'e'), "unreferenced blobs are removed");

    ok(rl_store_gc(s, images, NULL, &err) == 0, "gc again, ret_layers NULL");
    ok(rl_store_layer_exists(s, hex64('1')) && blob_there(s, 'a'), "nothing more removed");

    json_array_clear(images);
    ok(rl_store_gc(s, images, &removed, &err) == 0, "gc with no images");
    is_int(removed, 2, "both remaining layers removed");
    is_int(count_entries(layersdir), 0, "layers/ is empty");
    ok(!blob_there(s, 'a') && !blob_there(s, 'b') && !blob_there(s, 'c'), "every blob is removed");
    is_int(count_entries(tmpdir), 0, "tmp/ is empty");
    (void)rl_store_lock(s, LOCK_UN, &err);
    rl_store_close(s);
}

/* rl_store_image_commit: a new record is added, a record of the same id merges names and
 * digests, a name moves from the image that had it, a missing layer is refused. */
static void
test_image_commit(void)
{
    struct rl_store *s = open_store("icommit");
    cleanup_error rl_error_t err = NULL;
    cleanup_json json_t *images = NULL;
    cleanup_free char *a = xstrdup(hex64('a')), *b = xstrdup(hex64('b'));
    cleanup_free char *l = xstrdup(hex64('1'));
    json_t *img;
    long i;

    commit_layer(s, l);
    ok(rl_store_image_commit(s,
                             json_pack("{s:s, s:[s], s:[s], s:[s]}", "id", a, "names",
                                       "localhost/x:1", "repoDigests", "localhost/x@sha256:d1",
                                       "layers", l),
                             &err)
           == 0,
       "a first image is recorded");
    ok(rl_store_image_commit(s,
                             json_pack("{s:s, s:[s], s:[s], s:[s]}", "id", a, "names",
                                       "localhost/x:2", "repoDigests", "localhost/x@sha256:d2",
                                       "layers", l),
                             &err)
           == 0,
       "the same id again");
    ok(rl_store_images_load(s, &images, &err) == 0 && json_array_size(images) == 1,
       "one record for one id");
    img = json_array_get(images, 0);
    ok(json_array_size(json_object_get(img, "names")) == 2
           && json_array_size(json_object_get(img, "repoDigests")) == 2,
       "names and repo digests merged");
    json_decref(images);
    images = NULL;

    ok(rl_store_image_commit(
           s, json_pack("{s:s, s:[s], s:[s]}", "id", b, "names", "localhost/x:1", "layers", l),
           &err)
           == 0,
       "another image takes the name localhost/x:1");
    rl_store_images_load(s, &images, &err);
    i = rl_store_image_find(images, "localhost/x:1", &err);
    ok(i >= 0
           && strcmp(json_string_value(json_object_get(json_array_get(images, (size_t)i), "id")), b)
                  == 0,
       "the name moved");
    i = rl_store_image_find(images, "localhost/x:2", &err);
    ok(i >= 0 && json_array_size(json_object_get(json_array_get(images, (size_t)i), "names")) == 1,
       "the first image keeps its other name");
    rl_error_release(&err);

    ok(rl_store_image_commit(s,
                             json_pack("{s:s, s:[s], s:[s]}", "id", hex64('c'), "names",
                                       "localhost/y:1", "layers", hex64('9')),
                             &err)
               < 0
           && err && strstr(err->msg, "was removed while the image was being stored"),
       "a record whose layer is not in the store is refused");
    rl_error_release(&err);
    json_decref(images);
    rl_store_images_load(s, &images, &err);
    ok(rl_store_image_find(images, "localhost/y:1", &err) < 0, "and not recorded");
    rl_store_close(s);
}

static void
test_now(void)
{
    cleanup_free char *now = rl_now_rfc3339();
    struct tm tm = { 0 };
    const char *rest;
    bool digits = true;
    time_t t;

    is_int(strlen(now), 30, "rl_now_rfc3339 '%s' is 30 characters", now);
    rest = strptime(now, "%Y-%m-%dT%H:%M:%S", &tm);
    ok(rest && rest[0] == '.', "date, T, time, then '.'");
    for (int i = 1; rest && i <= 9; i++)
        digits = digits && rest[i] >= '0' && rest[i] <= '9';
    ok(rest && digits && rest[10] == 'Z' && rest[11] == '\0', "nine digits then Z");
    t = timegm(&tm);
    ok(rest && llabs((long long)(t - time(NULL))) <= 5, "it is now, in UTC");
}

int
main(void)
{
    alarm(120);
    umask(022);
    setenv("TZ", "Asia/Kolkata", 1);
    if (mkdtemp(base) == NULL) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    test_open();
    test_images();
    test_blobs();
    test_tmp();
    test_commit();
    test_gc();
    test_image_commit();
    test_now();
    {
        rl_error_t err = NULL;
        ok(rl_rm_rf(base, &err) == 0 && !exists_at(base), "clean up the test directory");
        rl_error_release(&err);
    }
    done_testing();
}

#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "fs.h"
#include "log.h"
#include "ref.h"
#include "store.h"

#define IMAGES_MAX_SIZE (64 * 1024 * 1024)

char *
rl_store_default_root(void)
{
    const char *data = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");

    if (geteuid() == 0)
        return xstrdup("/var/lib/rl");
    if (data && data[0] == '/')
        return xasprintf("%s/rl", data);
    if (home == NULL || home[0] != '/') {
        struct passwd *pw = getpwuid(geteuid());
        home = pw ? pw->pw_dir : "/";
    }
    return xasprintf("%s/.local/share/rl", home);
}

void
rl_store_close(struct rl_store *s)
{
    if (s == NULL)
        return;
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    if (s->root_fd >= 0)
        close(s->root_fd);
    free(s->root);
    free(s);
}

void
rl_store_closep(struct rl_store **s)
{
    rl_store_close(*s);
    *s = NULL;
}

int
rl_store_open(const char *root, struct rl_store **ret, rl_error_t *err)
{
    struct rl_store *s = xzalloc(sizeof(*s));
    static const char *const dirs[] = { "blobs", "blobs/sha256", "layers", "tmp" };

    s->root_fd = s->lock_fd = -1;
    s->root = root ? xstrdup(root) : rl_store_default_root();
    if (rl_mkdir_p(s->root, 0700, err) < 0)
        goto fail;
    s->root_fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->root_fd < 0) {
        rl_make_error(err, errno, "open '%s'", s->root);
        goto fail;
    }
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        if (mkdirat(s->root_fd, dirs[i], 0700) < 0 && errno != EEXIST) {
            rl_make_error(err, errno, "mkdir '%s/%s'", s->root, dirs[i]);
            goto fail;
        }
    }
    s->lock_fd = openat(s->root_fd, "storage.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0) {
        rl_make_error(err, errno, "open '%s/storage.lock'", s->root);
        goto fail;
    }
    *ret = s;
    return 0;
fail:
    rl_store_close(s);
    return rl_error_wrap(err, "image store");
}

int
rl_store_lock(struct rl_store *s, int how, rl_error_t *err)
{
    if (TEMP_FAILURE_RETRY(flock(s->lock_fd, how)) < 0)
        return rl_make_error(err, errno, "lock the image store '%s'", s->root);
    s->locked = how == LOCK_UN ? 0 : how;
    return 0;
}

int
rl_store_images_load(struct rl_store *s, json_t **ret, rl_error_t *err)
{
    cleanup_free char *path = xasprintf("%s/images.json", s->root);
    cleanup_free char *buf = NULL;
    json_error_t jerr;
    json_t *root, *images;
    size_t len;

    if (rl_read_file(path, IMAGES_MAX_SIZE, &buf, &len, err) < 0) {
        if ((*err)->status != ENOENT)
            return -1;
        rl_error_release(err);
        *ret = json_array();
        return 0;
    }
    root = json_loadb(buf, len, 0, &jerr);
    if (root == NULL)
        return rl_make_error(err, 0, "%s: line %d: %s", path, jerr.line, jerr.text);
    images = json_object_get(root, "images");
    if (!json_is_array(images)) {
        json_decref(root);
        return rl_make_error(err, 0, "%s: images: must be an array", path);
    }
    *ret = json_incref(images);
    json_decref(root);
    return 0;
}

int
rl_store_images_save(struct rl_store *s, json_t *images, rl_error_t *err)
{
    cleanup_free char *path = xasprintf("%s/images.json", s->root);
    json_t *root = json_pack("{s:O}", "images", images);
    cleanup_free char *text = json_dumps(root, JSON_INDENT(1));
    int ret;

    json_decref(root);
    if (text == NULL)
        return rl_make_error(err, ENOMEM, "serialise %s", path);
    ret = rl_write_file_atomic(path, text, strlen(text), 0600, true, err);
    return ret < 0 ? rl_error_wrap(err, "save image records") : 0;
}

static bool
strv_json_has(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;

    json_array_foreach (arr, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

static bool
is_hex(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    }
    return true;
}

long
rl_store_image_find(json_t *images, const char *what, rl_error_t *err)
{
    cleanup_image_ref struct rl_image_ref *ref = NULL;
    cleanup_error rl_error_t tmp = NULL;
    cleanup_free char *norm = NULL;
    const char *id = what;
    long found = -1;
    size_t i;
    json_t *img;

    /* Names first: a repository may be called "abc" like an id prefix. */
    json_array_foreach (images, i, img) {
        if (strv_json_has(json_object_get(img, "names"), what))
            return (long)i;
    }
    if (rl_image_ref_parse(what, &ref, &tmp) == 0) {
        cleanup_free char *full = rl_image_ref_format(ref);
        json_array_foreach (images, i, img) {
            if (strv_json_has(json_object_get(img, "names"), full)
                || (ref->digest && strv_json_has(json_object_get(img, "repoDigests"), full)))
                return (long)i;
        }
        /* name@digest, also when the record has the name with a tag. */
        if (ref->digest) {
            json_array_foreach (images, i, img) {
                const char *d = json_string_value(json_object_get(img, "digest"));
                if (d && strcmp(d, ref->digest) == 0)
                    return (long)i;
            }
        }
    }
    /* Local names: "mine" is localhost/mine:latest as rl tag and rl import store it. */
    {
        cleanup_image_ref struct rl_image_ref *local = NULL;
        cleanup_error rl_error_t t2 = NULL;
        if (rl_image_ref_parse_local(what, &local, &t2) == 0) {
            cleanup_free char *full = rl_image_ref_format(local);
            json_array_foreach (images, i, img) {
                if (strv_json_has(json_object_get(img, "names"), full))
                    return (long)i;
            }
        }
    }
    if (rl_str_has_prefix(id, "sha256:"))
        id += 7;
    if (is_hex(id) && strlen(id) <= RL_DIGEST_SHA256_HEX_LEN) {
        json_array_foreach (images, i, img) {
            const char *iid = json_string_value(json_object_get(img, "id"));
            if (iid && rl_str_has_prefix(iid, id)) {
                if (found >= 0)
                    return rl_make_error(err, 0, "%s: short id is ambiguous: use more digits",
                                         what);
                found = (long)i;
            }
        }
        if (found >= 0)
            return found;
    }
    return rl_make_error(err, ENOENT, "%s: image not known", what);
}

void
rl_store_image_untag(json_t *images, const char *name)
{
    size_t i, j;
    json_t *img, *v;

    json_array_foreach (images, i, img) {
        json_t *names = json_object_get(img, "names");
        json_array_foreach (names, j, v) {
            if (json_is_string(v) && strcmp(json_string_value(v), name) == 0) {
                json_array_remove(names, j);
                j--;
            }
        }
    }
}

static void
json_strv_add_unique(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;

    json_array_foreach (arr, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return;
    }
    json_array_append_new(arr, json_string(s));
}

int
rl_store_image_commit(struct rl_store *s, json_t *record, rl_error_t *err)
{
    cleanup_json json_t *images = NULL;
    const char *id = json_string_value(json_object_get(record, "id"));
    json_t *names = json_object_get(record, "names");
    json_t *img, *v;
    size_t i;
    int ret = -1;
    bool merged = false;

    if (rl_store_lock(s, LOCK_EX, err) < 0) {
        json_decref(record);
        return -1;
    }
    if (rl_store_images_load(s, &images, err) < 0)
        goto out;
    json_array_foreach (json_object_get(record, "layers"), i, v) {
        if (!rl_store_layer_exists(s, json_string_value(v))) {
            rl_make_error(err, ENOENT,
                          "layer %s was removed while the image was being stored: try again",
                          json_string_value(v));
            goto out;
        }
    }
    json_array_foreach (names, i, v)
        rl_store_image_untag(images, json_string_value(v));
    json_array_foreach (images, i, img) {
        const char *iid = json_string_value(json_object_get(img, "id"));
        if (iid && strcmp(iid, id) == 0) {
            json_t *w;
            size_t k;
            json_array_foreach (names, k, w)
                json_strv_add_unique(json_object_get(img, "names"), json_string_value(w));
            json_array_foreach (json_object_get(record, "repoDigests"), k, w)
                json_strv_add_unique(json_object_get(img, "repoDigests"), json_string_value(w));
            json_array_foreach (json_object_get(record, "blobs"), k, w)
                json_strv_add_unique(json_object_get(img, "blobs"), json_string_value(w));
            if (json_object_get(record, "digest"))
                json_object_set(img, "digest", json_object_get(record, "digest"));
            merged = true;
            break;
        }
    }
    if (!merged)
        json_array_append(images, record);
    ret = rl_store_images_save(s, images, err);
out:
    json_decref(record);
    rl_store_lock(s, LOCK_UN, NULL);
    return ret;
}

static char *
blob_path(struct rl_store *s, const char *digest)
{
    return xasprintf("%s/blobs/sha256/%s", s->root, digest + 7);
}

int
rl_store_blob_put(struct rl_store *s, const char *digest, const void *buf, size_t len,
                  rl_error_t *err)
{
    cleanup_free char *path = NULL;

    if (rl_digest_check_syntax(digest, err) < 0)
        return -1;
    path = blob_path(s, digest);
    if (access(path, F_OK) == 0)
        return 0;
    return rl_write_file_atomic(path, buf, len, 0600, true, err);
}

int
rl_store_blob_read(struct rl_store *s, const char *digest, size_t max, char **ret_buf,
                   size_t *ret_len, rl_error_t *err)
{
    cleanup_free char *path = NULL;

    if (rl_digest_check_syntax(digest, err) < 0)
        return -1;
    path = blob_path(s, digest);
    if (rl_read_file(path, max, ret_buf, ret_len, err) < 0)
        return rl_error_wrap(err, "blob %s", digest);
    return 0;
}

bool
rl_store_blob_exists(struct rl_store *s, const char *digest)
{
    cleanup_free char *path = NULL;

    if (rl_digest_check_syntax(digest, NULL) < 0)
        return false;
    path = blob_path(s, digest);
    return access(path, F_OK) == 0;
}

bool
rl_store_layer_exists(struct rl_store *s, const char *chain_hex)
{
    cleanup_free char *path = xasprintf("layers/%s/diff", chain_hex);
    struct stat st;

    return fstatat(s->root_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

char *
rl_store_layer_path(struct rl_store *s, const char *chain_hex)
{
    return xasprintf("%s/layers/%s/diff", s->root, chain_hex);
}

int
rl_store_layer_meta(struct rl_store *s, const char *chain_hex, json_t **ret, rl_error_t *err)
{
    cleanup_free char *path = xasprintf("%s/layers/%s/layer.json", s->root, chain_hex);
    cleanup_free char *buf = NULL;
    json_error_t jerr;
    size_t len;

    if (rl_read_file(path, 1 << 20, &buf, &len, err) < 0)
        return -1;
    *ret = json_loadb(buf, len, 0, &jerr);
    if (*ret == NULL || !json_is_object(*ret)) {
        json_decref(*ret);
        return rl_make_error(err, 0, "%s: line %d: %s", path, jerr.line, jerr.text);
    }
    return 0;
}

int
rl_store_tmp_new(struct rl_store *s, struct rl_store_tmp *ret, rl_error_t *err)
{
    cleanup_free char *tmpl = xasprintf("%s/tmp/w-XXXXXX", s->root);

    if (mkdtemp(tmpl) == NULL)
        return rl_make_error(err, errno, "create a work directory in '%s/tmp'", s->root);
    ret->fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ret->fd < 0 || flock(ret->fd, LOCK_EX) < 0) {
        int e = errno;
        rmdir(tmpl);
        return rl_make_error(err, e, "lock '%s'", tmpl);
    }
    ret->path = steal_pointer(&tmpl);
    return 0;
}

void
rl_store_tmp_release(struct rl_store_tmp *t)
{
    cleanup_error rl_error_t tmp = NULL;

    if (t->path && rl_rm_rf(t->path, &tmp) < 0)
        rl_error_warn_and_release(&tmp);
    free(t->path);
    t->path = NULL;
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}

int
rl_store_tmp_cleanup(struct rl_store *s, rl_error_t *err)
{
    cleanup_free char *dir = xasprintf("%s/tmp", s->root);
    cleanup_dir DIR *d = opendir(dir);
    struct dirent *de;

    if (d == NULL)
        return errno == ENOENT ? 0 : rl_make_error(err, errno, "open '%s'", dir);
    while ((de = readdir(d)) != NULL) {
        cleanup_free char *path = NULL;
        cleanup_close int fd = -1;

        if (de->d_name[0] == '.')
            continue;
        fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
            continue; /* somebody's work in progress */
        path = xasprintf("%s/%s", dir, de->d_name);
        rl_debug("removing stale work directory %s", path);
        if (rl_rm_rf(path, err) < 0)
            return -1;
    }
    return 0;
}

int
rl_store_layer_commit(struct rl_store *s, struct rl_store_tmp *tmp, const char *chain_hex,
                      rl_error_t *err)
{
    cleanup_free char *dst = xasprintf("%s/layers/%s", s->root, chain_hex);

    if (rename(tmp->path, dst) == 0) {
        free(tmp->path);
        tmp->path = NULL; /* nothing left to remove */
        return 0;
    }
    if (errno == EEXIST || errno == ENOTEMPTY)
        return 0; /* stored meanwhile by another pull: keep that one, drop ours */
    return rl_make_error(err, errno, "store layer %s", chain_hex);
}

int
rl_store_gc(struct rl_store *s, json_t *images, size_t *ret_layers, rl_error_t *err)
{
    cleanup_free char *layers_dir = xasprintf("%s/layers", s->root);
    cleanup_free char *blobs_dir = xasprintf("%s/blobs/sha256", s->root);
    cleanup_dir DIR *d = NULL;
    struct dirent *de;
    size_t removed = 0, i, j;
    json_t *img, *v;
    cleanup_json json_t *keep = json_object();

    json_array_foreach (images, i, img) {
        const char *digest = json_string_value(json_object_get(img, "digest"));
        const char *id = json_string_value(json_object_get(img, "id"));
        json_array_foreach (json_object_get(img, "layers"), j, v) {
            if (json_is_string(v))
                json_object_set_new(keep, json_string_value(v), json_true());
        }
        if (digest && rl_str_has_prefix(digest, "sha256:"))
            json_object_set_new(keep, digest + 7, json_true());
        if (id)
            json_object_set_new(keep, id, json_true());
        json_array_foreach (json_object_get(img, "blobs"), j, v) {
            if (json_is_string(v) && rl_str_has_prefix(json_string_value(v), "sha256:"))
                json_object_set_new(keep, json_string_value(v) + 7, json_true());
        }
    }

    d = opendir(layers_dir);
    if (d == NULL)
        return rl_make_error(err, errno, "open '%s'", layers_dir);
    while ((de = readdir(d)) != NULL) {
        struct rl_store_tmp t = { .fd = -1 };
        cleanup_free char *src = NULL, *dst = NULL;

        if (de->d_name[0] == '.' || json_object_get(keep, de->d_name))
            continue;
        /* Out of layers/ at once (a rename), then removed at leisure: a reader either sees
         * the whole layer or none of it. */
        if (rl_store_tmp_new(s, &t, err) < 0)
            return -1;
        src = xasprintf("%s/%s", layers_dir, de->d_name);
        dst = xasprintf("%s/layer", t.path);
        if (rename(src, dst) < 0) {
            int e = errno;
            rl_store_tmp_release(&t);
            return rl_make_error(err, e, "remove layer %s", de->d_name);
        }
        rl_store_tmp_release(&t);
        removed++;
    }
    closedir(steal_pointer(&d));

    d = opendir(blobs_dir);
    if (d == NULL)
        return rl_make_error(err, errno, "open '%s'", blobs_dir);
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || json_object_get(keep, de->d_name))
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
            return rl_make_error(err, errno, "remove blob %s", de->d_name);
    }
    if (ret_layers)
        *ret_layers = removed;
    return 0;
}

static int64_t
du_at(int at, const char *name, int depth)
{
    cleanup_dir DIR *d = NULL;
    struct dirent *de;
    struct stat st;
    int64_t total;
    int fd;

    if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return 0;
    total = (int64_t)st.st_blocks * 512;
    if (!S_ISDIR(st.st_mode) || depth > 512)
        return S_ISREG(st.st_mode) && st.st_nlink > 1 ? total / (int64_t)st.st_nlink : total;
    fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        return total;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        total += du_at(dirfd(d), de->d_name, depth + 1);
    }
    return total;
}

int64_t
rl_store_layer_disk_usage(struct rl_store *s, const char *chain_hex)
{
    cleanup_free char *path = xasprintf("layers/%s", chain_hex);
    return du_at(s->root_fd, path, 0);
}

#include "config.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <poll.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "digest.h"
#include "fs.h"
#include "log.h"
#include "manifest.h"
#include "regconf.h"
#include "registry.h"

#define USER_AGENT     "rl/" PACKAGE_VERSION
#define ERROR_BODY_MAX 8192
#define TOKEN_MAX      (1024 * 1024)
#define RETRIES        4

/* ------------------------------------------------------------------ one response */

struct response {
    char *body;
    size_t len, cap, max;
    bool too_big;
    long code;
    char *www_auth, *content_type, *docker_digest;
    char errbuf[CURL_ERROR_SIZE];
};

static void
response_release(struct response *res)
{
    free(res->body);
    free(res->www_auth);
    free(res->content_type);
    free(res->docker_digest);
    memset(res, 0, sizeof(*res));
}

static size_t
response_body_cb(char *data, size_t size, size_t n, void *userdata)
{
    struct response *res = userdata;
    size_t len = size * n;

    if (res->len + len > res->max) {
        res->too_big = true;
        return 0;
    }
    if (res->len + len + 1 > res->cap) {
        res->cap = (res->len + len + 1) * 2;
        res->body = xrealloc(res->body, res->cap);
    }
    memcpy(res->body + res->len, data, len);
    res->len += len;
    res->body[res->len] = '\0';
    return len;
}

/* "Name: value\r\n" -> value, when NAME matches. */
static char *
header_value(const char *line, size_t len, const char *name)
{
    size_t nl = strlen(name);
    const char *v, *end = line + len;

    if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return NULL;
    v = line + nl + 1;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    return xstrndup(v, (size_t)(end - v));
}

static void
set_header(char **slot, char *value)
{
    if (value) {
        free(*slot);
        *slot = value;
    }
}

static size_t
response_header_cb(char *data, size_t size, size_t n, void *userdata)
{
    struct response *res = userdata;
    size_t len = size * n;

    /* Each response of a redirect chain starts with its status line. */
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        free(res->www_auth);
        free(res->content_type);
        free(res->docker_digest);
        res->www_auth = res->content_type = res->docker_digest = NULL;
    }
    set_header(&res->www_auth, header_value(data, len, "WWW-Authenticate"));
    set_header(&res->content_type, header_value(data, len, "Content-Type"));
    set_header(&res->docker_digest, header_value(data, len, "Docker-Content-Digest"));
    return len;
}

/* ------------------------------------------------------------------ session */

static void
read_ca_dir(const char *dir, char **buf, size_t *len)
{
    cleanup_dir DIR *d = opendir(dir);
    struct dirent *de;

    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        cleanup_free char *path = NULL, *data = NULL;
        size_t n;

        if (!rl_str_has_suffix(de->d_name, ".crt"))
            continue;
        path = xasprintf("%s/%s", dir, de->d_name);
        if (rl_read_file(path, 1 << 20, &data, &n, NULL) < 0)
            continue;
        *buf = xrealloc(*buf, *len + n + 2);
        memcpy(*buf + *len, data, n);
        *len += n;
        (*buf)[(*len)++] = '\n';
        (*buf)[*len] = '\0';
    }
}

/* Extra CAs: --cert-dir, then the per-registry certs.d directories podman reads, on top of
 * the system's bundle. Read once per session (a pull makes a handle per request); NULL when
 * there are none and curl's default bundle is used. */
static void
load_cas(struct rl_registry *r)
{
    cleanup_free char *buf = NULL, *user_dir = NULL, *etc = NULL, *sys = NULL;
    const char *cfg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    size_t len = 0, sys_len = 0;

    if (!r->verify)
        return;
    if (r->cert_dir)
        read_ca_dir(r->cert_dir, &buf, &len);
    if (cfg && *cfg)
        user_dir = xasprintf("%s/containers/certs.d/%s", cfg, r->registry);
    else if (home)
        user_dir = xasprintf("%s/.config/containers/certs.d/%s", home, r->registry);
    if (user_dir)
        read_ca_dir(user_dir, &buf, &len);
    etc = xasprintf("/etc/containers/certs.d/%s", r->registry);
    read_ca_dir(etc, &buf, &len);
    if (len == 0)
        return;
    /* A CA blob replaces the default bundle: add the system's to it. */
    if (rl_read_file("/etc/ssl/certs/ca-certificates.crt", 16 << 20, &sys, &sys_len, NULL) == 0) {
        buf = xrealloc(buf, len + sys_len + 1);
        memcpy(buf + len, sys, sys_len);
        len += sys_len;
    }
    r->ca_blob = steal_pointer(&buf);
    r->ca_len = len;
}

static void
setup_tls(struct rl_registry *r, CURL *h)
{
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, r->verify ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, r->verify ? 2L : 0L);
    if (r->verify && r->ca_blob) {
        struct curl_blob blob = { .data = r->ca_blob, .len = r->ca_len, .flags = CURL_BLOB_NOCOPY };
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
}

static CURL *
new_handle(struct rl_registry *r, const char *url)
{
    CURL *h = curl_easy_init();

    if (h == NULL)
        rl_oom();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    /* A transfer that moves less than 1 kB in 60 s is stalled. */
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, NULL);
    if (r->share)
        curl_easy_setopt(h, CURLOPT_SHARE, r->share);
    setup_tls(r, h);
    if (r->basic_only && r->user) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, r->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, r->password ? r->password : "");
    }
    return h;
}

static struct curl_slist *
make_headers(struct rl_registry *r, const char *accept)
{
    struct curl_slist *l = NULL;

    if (accept) {
        cleanup_free char *a = xasprintf("Accept: %s", accept);
        l = curl_slist_append(l, a);
    }
    if (r->authorization)
        l = curl_slist_append(l, r->authorization);
    return l;
}

/* Perform H into RES; a transport failure is an error, an HTTP status is not. */
static int
perform(CURL *h, struct response *res, const char *what, rl_error_t *err)
{
    CURLcode rc;

    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, response_body_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, res);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, response_header_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, res);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, res->errbuf);
    res->errbuf[0] = '\0';
    rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->code);
    if (res->too_big)
        return rl_make_error(err, EFBIG, "%s: response larger than %zu bytes", what, res->max);
    if (rc != CURLE_OK)
        return rl_make_error(err, 0, "%s: %s", what,
                             res->errbuf[0] ? res->errbuf : curl_easy_strerror(rc));
    return 0;
}

char *
rl_registry_error_text(const char *body, size_t len)
{
    json_t *root = body ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *first = json_array_get(json_object_get(root, "errors"), 0);
    const char *code = json_string_value(json_object_get(first, "code"));
    const char *msg = json_string_value(json_object_get(first, "message"));
    char *ret = NULL;

    if (msg && code)
        ret = xasprintf("%s (%s)", msg, code);
    else if (msg || code)
        ret = xstrdup(msg ? msg : code);
    json_decref(root);
    return ret;
}

/* "404 Not Found: manifest unknown" */
static int
http_error(rl_error_t *err, const char *what, const struct response *res)
{
    cleanup_free char *text = rl_registry_error_text(res->body, res->len);
    if (text)
        return rl_make_error(err, 0, "%s: %s", what, text);
    return rl_make_error(err, 0, "%s: HTTP status %ld", what, res->code);
}

static char *
url_escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    char *ret = xstrdup(e ? e : "");
    curl_free(e);
    return ret;
}

static int RL_PRINTF(3, 4) auth_error(struct rl_registry *r, rl_error_t *err, const char *fmt, ...)
{
    va_list ap;
    cleanup_free char *msg = NULL;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        rl_oom();
    va_end(ap);
    r->auth_failed = true;
    return rl_make_error(err, 0, "%s", msg);
}

static int
fetch_token(struct rl_registry *r, const char *scope, rl_error_t *err)
{
    cleanup_free char *url = NULL, *esc_service = NULL, *esc_scope = NULL, *token = NULL;
    struct response res = { .max = TOKEN_MAX };
    long expires = 0;
    CURL *h;
    int ret;

    esc_service = url_escape(r->service ? r->service : "");
    esc_scope = url_escape(scope);
    url = xasprintf("%s%sservice=%s&scope=%s", r->realm, strchr(r->realm, '?') ? "&" : "?",
                    esc_service, esc_scope);
    h = new_handle(r, url);
    if (r->user) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, r->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, r->password ? r->password : "");
    }
    rl_debug("token request: %s", url);
    ret = perform(h, &res, "get a token", err);
    curl_easy_cleanup(h);
    if (ret == 0 && (res.code == 401 || res.code == 403))
        ret = auth_error(r, err, "authenticate to %s: %s", r->registry,
                         r->user ? "invalid username or password"
                                 : "the token service refused anonymous access");
    else if (ret == 0 && res.code != 200)
        ret = http_error(err, "get a token", &res);
    else if (ret == 0 && rl_auth_token_parse(res.body, res.len, &token, &expires, err) < 0)
        ret = -1;
    if (ret == 0) {
        free(r->authorization);
        r->authorization = xasprintf("Authorization: Bearer %s", token);
    }
    response_release(&res);
    return ret;
}

/* Apply the challenge of a 401: a token for this repository, or Basic credentials. */
static int
answer_challenge(struct rl_registry *r, const char *header, rl_error_t *err)
{
    struct rl_auth_challenge c = { 0 };
    cleanup_free char *scope = NULL;
    int ret = 0;

    if (header == NULL)
        return auth_error(r, err, "%s requires authentication but sent no challenge", r->registry);
    if (rl_auth_challenge_parse(header, &c, err) < 0)
        return -1;
    if (strcmp(c.scheme, "basic") == 0) {
        r->basic_only = true;
        if (r->user == NULL)
            ret = auth_error(r, err, "%s requires a login: run 'rl login %s' or use --creds",
                             r->registry, r->registry);
    } else if (strcmp(c.scheme, "bearer") == 0) {
        free(r->realm);
        free(r->service);
        r->realm = xstrdup(c.realm);
        r->service = c.service ? xstrdup(c.service) : NULL;
        scope = xasprintf("repository:%s:pull", r->repository);
        ret = fetch_token(r, scope, err);
    } else {
        ret = auth_error(r, err, "%s asks for unsupported authentication '%s'", r->registry,
                         c.scheme);
    }
    rl_auth_challenge_release(&c);
    return ret;
}

static int
ping(struct rl_registry *r, const char *scheme, rl_error_t *err)
{
    cleanup_free char *url = xasprintf("%s://%s/v2/", scheme, r->host);
    struct response res = { .max = ERROR_BODY_MAX };
    CURL *h = new_handle(r, url);
    int ret = perform(h, &res, url, err);

    curl_easy_cleanup(h);
    if (ret == 0) {
        if (res.code == 401)
            ret = answer_challenge(r, res.www_auth, err);
        else if (res.code >= 400 && res.code != 404)
            ret = http_error(err, url, &res);
    }
    response_release(&res);
    return ret;
}

static int
credentials(struct rl_registry *r, const struct rl_registry_opts *opts, rl_error_t *err)
{
    if (opts->creds) {
        const char *colon = strchr(opts->creds, ':');
        if (*opts->creds == '\0' || colon == opts->creds)
            return rl_make_error(err, 0, "--creds: expected USERNAME[:PASSWORD]");
        r->user =
            colon ? xstrndup(opts->creds, (size_t)(colon - opts->creds)) : xstrdup(opts->creds);
        r->password = xstrdup(colon ? colon + 1 : "");
        return 0;
    }
    if (opts->auth_file) /* an explicit file is the only one read */
        return rl_auth_lookup_file(opts->auth_file, r->registry, &r->user, &r->password, err);
    return rl_auth_lookup(r->registry, &r->user, &r->password, err);
}

static int
registry_setup(struct rl_registry *r, const char *registry, const struct rl_registry_opts *opts,
               rl_error_t *err)
{
    cleanup_free char *conf = NULL;
    bool insecure, blocked;

    r->registry = xstrdup(registry);
    r->host = xstrdup(strcmp(registry, "docker.io") == 0 ? "registry-1.docker.io" : registry);
    /* registries.conf: blocked always applies; insecure only without --tls-verify. */
    if (rl_regconf_lookup(registry, r->repository, &insecure, &blocked, &conf, err) < 0)
        return -1;
    if (blocked)
        return rl_make_error(err, 0, "registry %s is blocked in %s", registry, conf);
    r->verify = opts->tls_verify == -1 ? !insecure : opts->tls_verify != 0;
    r->cert_dir = opts->cert_dir ? xstrdup(opts->cert_dir) : NULL;
    load_cas(r);
    r->share = curl_share_init();
    if (r->share) {
        curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
    return credentials(r, opts, err);
}

/* Find the scheme: https; without TLS verification, plain http when https fails to connect. */
static int
connect_registry(struct rl_registry *r, const char **ret_scheme, rl_error_t *err)
{
    cleanup_error rl_error_t https_err = NULL;

    if (ping(r, "https", &https_err) == 0) {
        *ret_scheme = "https";
        return 0;
    }
    if (r->verify || r->auth_failed) {
        *err = steal_pointer(&https_err);
        if (r->verify && strstr((*err)->msg, "wrong version number")) {
            cleanup_free char *m = rl_error_format(*err);
            rl_error_release(err);
            rl_make_error(err, 0, "%s (a plain-http registry? use --tls-verify=false)", m);
        }
        return rl_error_wrap(err, "ping registry %s", r->registry);
    }
    rl_debug("https to %s failed (%s); trying http", r->registry, https_err->msg);
    if (ping(r, "http", err) < 0)
        return rl_error_wrap(err, "ping registry %s", r->registry);
    *ret_scheme = "http";
    return 0;
}

int
rl_registry_open(const struct rl_image_ref *ref, const struct rl_registry_opts *opts,
                 struct rl_registry **ret, rl_error_t *err)
{
    struct rl_registry *r = xzalloc(sizeof(*r));
    const char *scheme;

    r->repository = xstrdup(ref->repository);
    if (registry_setup(r, ref->registry, opts, err) < 0 || connect_registry(r, &scheme, err) < 0) {
        rl_registry_close(r);
        return -1;
    }
    r->base = xasprintf("%s://%s/v2/%s", scheme, r->host, r->repository);
    *ret = r;
    return 0;
}

int
rl_registry_login(const char *registry, const char *user, const char *password,
                  const struct rl_registry_opts *opts, rl_error_t *err)
{
    struct rl_registry *r = xzalloc(sizeof(*r));
    struct rl_registry_opts o = *opts;
    cleanup_free char *creds = xasprintf("%s:%s", user, password);
    const char *scheme;
    int ret;

    o.creds = creds;
    o.auth_file = NULL;
    /* A token for the catalog proves the credentials; registries that grant anonymous
     * tokens refuse bad credentials all the same. */
    r->repository = xstrdup("");
    ret = registry_setup(r, registry, &o, err);
    if (ret == 0)
        ret = connect_registry(r, &scheme, err);
    if (ret == 0 && r->realm == NULL && !r->basic_only)
        rl_debug("%s needs no authentication", registry);
    if (ret == 0 && r->basic_only) {
        /* Check the credentials with one authenticated request. */
        cleanup_free char *url = xasprintf("%s://%s/v2/", scheme, r->host);
        struct response res = { .max = ERROR_BODY_MAX };
        CURL *h = new_handle(r, url);
        ret = perform(h, &res, url, err);
        curl_easy_cleanup(h);
        if (ret == 0 && (res.code == 401 || res.code == 403))
            ret = rl_make_error(err, 0, "invalid username or password");
        response_release(&res);
    }
    rl_registry_close(r);
    return ret;
}

void
rl_registry_close(struct rl_registry *r)
{
    if (r == NULL)
        return;
    free(r->registry);
    free(r->host);
    free(r->repository);
    free(r->base);
    free(r->cert_dir);
    free(r->ca_blob);
    free(r->user);
    if (r->password)
        explicit_bzero(r->password, strlen(r->password));
    free(r->password);
    if (r->authorization)
        explicit_bzero(r->authorization, strlen(r->authorization));
    free(r->authorization);
    free(r->realm);
    free(r->service);
    if (r->share)
        curl_share_cleanup(r->share);
    free(r);
}

void
rl_registry_closep(struct rl_registry **r)
{
    rl_registry_close(*r);
    *r = NULL;
}

/* GET URL with one retry after answering a 401 (an expired token). */
static int
get_small(struct rl_registry *r, const char *url, const char *accept, size_t max, const char *what,
          struct response *res, rl_error_t *err)
{
    for (int attempt = 0;; attempt++) {
        struct curl_slist *headers = make_headers(r, accept);
        CURL *h = new_handle(r, url);
        int ret;

        memset(res, 0, sizeof(*res));
        res->max = max;
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        ret = perform(h, res, what, err);
        curl_easy_cleanup(h);
        curl_slist_free_all(headers);
        if (ret < 0)
            return -1;
        if (res->code == 401 && attempt == 0) {
            cleanup_free char *challenge = res->www_auth ? xstrdup(res->www_auth) : NULL;
            response_release(res);
            if (answer_challenge(r, challenge, err) < 0)
                return rl_error_wrap(err, "%s", what);
            continue;
        }
        if (res->code == 401 || res->code == 403)
            return rl_make_error(err, 0, "%s: access denied%s", what,
                                 r->user ? "" : " (not logged in: try 'rl login')");
        if (res->code != 200)
            return http_error(err, what, res);
        return 0;
    }
}

int
rl_registry_get_manifest(struct rl_registry *r, const char *reference, char **ret_buf,
                         size_t *ret_len, char **ret_type, char **ret_digest, rl_error_t *err)
{
    cleanup_free char *url = xasprintf("%s/manifests/%s", r->base, reference);
    cleanup_free char *what =
        xasprintf("reading manifest %s in %s/%s", reference, r->registry, r->repository);
    cleanup_free char *digest = NULL;
    struct response res;

    if (get_small(r, url, RL_MANIFEST_ACCEPT, RL_MANIFEST_MAX_SIZE, what, &res, err) < 0) {
        response_release(&res);
        return -1;
    }
    if (rl_digest_of(res.body ? res.body : "", res.len, &digest, err) < 0) {
        response_release(&res);
        return -1;
    }
    if (rl_str_has_prefix(reference, "sha256:") && strcmp(digest, reference) != 0) {
        rl_make_error(err, 0, "%s: digest mismatch: expected %s, got %s", what, reference, digest);
        response_release(&res);
        return -1;
    }
    *ret_buf = res.body ? steal_pointer(&res.body) : xstrdup("");
    *ret_len = res.len;
    *ret_type = steal_pointer(&res.content_type);
    *ret_digest = steal_pointer(&digest);
    response_release(&res);
    return 0;
}

int
rl_registry_get_blob(struct rl_registry *r, const char *digest, size_t max, char **ret_buf,
                     size_t *ret_len, rl_error_t *err)
{
    cleanup_free char *url = xasprintf("%s/blobs/%s", r->base, digest);
    cleanup_free char *what = xasprintf("reading blob %s", digest);
    cleanup_free char *got = NULL;
    struct response res;

    if (get_small(r, url, NULL, max, what, &res, err) < 0
        || rl_digest_of(res.body ? res.body : "", res.len, &got, err) < 0) {
        response_release(&res);
        return -1;
    }
    if (strcmp(got, digest) != 0) {
        response_release(&res);
        return rl_make_error(err, 0, "%s: digest mismatch: got %s", what, got);
    }
    *ret_buf = res.body ? steal_pointer(&res.body) : xstrdup("");
    *ret_len = res.len;
    response_release(&res);
    return 0;
}

/* ------------------------------------------------------------------ parallel blobs */

enum xfer_state { XFER_QUEUED, XFER_RUNNING, XFER_WAITING, XFER_DONE };

struct xfer {
    struct rl_blob_transfer *t;
    struct rl_blob_batch *b;
    enum xfer_state state;
    CURL *h;
    struct curl_slist *headers;
    struct rl_digester *digester;
    int attempt;
    bool paused, auth_retry;
    int64_t skip; /* bytes of a 200 answer to a Range request that were delivered before */
    long code;
    char errbody[ERROR_BODY_MAX];
    size_t errlen;
    char errbuf[CURL_ERROR_SIZE];
    rl_error_t err;
    struct timespec retry_at;
    char *range;
};

struct rl_blob_batch {
    struct rl_registry *r;
    CURLM *multi;
    int max_parallel, wake_fd;
    struct xfer **x;
    size_t n;
    void (*progress)(void *);
    void *progress_data;
};

struct rl_blob_batch *
rl_blob_batch_new(struct rl_registry *r, int max_parallel, int wake_fd,
                  void (*progress)(void *data), void *data)
{
    struct rl_blob_batch *b = xzalloc(sizeof(*b));

    b->r = r;
    b->multi = curl_multi_init();
    if (b->multi == NULL)
        rl_oom();
    b->max_parallel = max_parallel > 0 ? max_parallel : 6;
    b->wake_fd = wake_fd;
    b->progress = progress;
    b->progress_data = data;
    return b;
}

void
rl_blob_batch_add(struct rl_blob_batch *b, struct rl_blob_transfer *t)
{
    struct xfer *x = xzalloc(sizeof(*x));

    x->t = t;
    x->b = b;
    t->received = 0;
    b->x = xrealloc(b->x, (b->n + 1) * sizeof(*b->x));
    b->x[b->n++] = x;
}

static size_t
xfer_write_cb(char *data, size_t size, size_t n, void *userdata)
{
    struct xfer *x = userdata;
    size_t len = size * n, taken, drop = 0;

    if (x->code == 0) {
        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->code);
        /* A registry that ignores Range sends the whole blob again: skip what was
         * delivered before. */
        x->skip = x->range && x->code == 200 ? x->t->received : 0;
    }
    if (x->code != 200 && x->code != 206) {
        size_t room = sizeof(x->errbody) - 1 - x->errlen;
        size_t c = len < room ? len : room;
        memcpy(x->errbody + x->errlen, data, c);
        x->errlen += c;
        return len;
    }
    if (x->skip > 0) {
        drop = (int64_t)len < x->skip ? len : (size_t)x->skip;
        if (drop == len) {
            x->skip -= (int64_t)drop;
            return len;
        }
    }
    if (x->t->size >= 0 && x->t->received + (int64_t)(len - drop) > x->t->size) {
        rl_make_error(&x->err, 0, "blob %s: more data than the %lld bytes announced", x->t->digest,
                      (long long)x->t->size);
        return 0;
    }
    taken = x->t->write(x->t, data + drop, len - drop);
    if (taken == (size_t)-1) {
        rl_make_error(&x->err, ECANCELED, "blob %s: aborted", x->t->digest);
        return 0;
    }
    if (taken == 0) {
        /* Delivered again, whole, after curl_easy_pause(CONT): nothing was consumed. */
        x->paused = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    x->skip -= (int64_t)drop;
    if (rl_digester_update(x->digester, data + drop, len - drop, &x->err) < 0)
        return 0;
    x->t->received += (int64_t)(len - drop);
    return len;
}

static void
xfer_start(struct rl_blob_batch *b, struct xfer *x)
{
    cleanup_free char *url = xasprintf("%s/blobs/%s", b->r->base, x->t->digest);

    x->h = new_handle(b->r, url);
    x->headers = make_headers(b->r, NULL);
    x->code = 0;
    x->errlen = 0;
    x->errbuf[0] = '\0';
    curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, xfer_write_cb);
    curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
    curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
    free(x->range);
    x->range = NULL;
    x->skip = 0;
    if (x->t->received > 0) {
        /* Resume where the last attempt stopped; a registry that ignores Range sends it
         * all, and what was delivered already is skipped. */
        x->range = xasprintf("%lld-", (long long)x->t->received);
        curl_easy_setopt(x->h, CURLOPT_RANGE, x->range);
    }
    if (x->digester == NULL) {
        cleanup_error rl_error_t tmp = NULL;
        x->digester = rl_digester_new(x->t->digest, &tmp);
        if (x->digester == NULL) {
            x->err = steal_pointer(&tmp);
            x->state = XFER_DONE;
            return;
        }
    }
    x->state = XFER_RUNNING;
    curl_multi_add_handle(b->multi, x->h);
}

static void
xfer_finish(struct xfer *x)
{
    rl_error_t err = steal_pointer(&x->err);

    if (err == NULL && rl_digester_finish(x->digester, NULL, &err) < 0)
        rl_error_wrap(&err, "blob %s", x->t->digest);
    x->state = XFER_DONE;
    x->t->done(x->t, err ? &err : NULL);
    rl_error_release(&err);
}

static void
xfer_cleanup_handle(struct rl_blob_batch *b, struct xfer *x)
{
    if (x->h) {
        curl_multi_remove_handle(b->multi, x->h);
        curl_easy_cleanup(x->h);
        x->h = NULL;
    }
    curl_slist_free_all(x->headers);
    x->headers = NULL;
    x->paused = false;
}

static bool
transient(CURLcode rc, long code)
{
    static const CURLcode retry[] = {
        CURLE_COULDNT_CONNECT,    CURLE_COULDNT_RESOLVE_HOST,
        CURLE_OPERATION_TIMEDOUT, CURLE_PARTIAL_FILE,
        CURLE_RECV_ERROR,         CURLE_SEND_ERROR,
        CURLE_GOT_NOTHING,        CURLE_HTTP2,
        CURLE_HTTP2_STREAM,       CURLE_SSL_CONNECT_ERROR,
    };

    if (rc == CURLE_OK)
        return code == 408 || code == 429 || code >= 500;
    for (size_t i = 0; i < sizeof(retry) / sizeof(retry[0]); i++) {
        if (rc == retry[i])
            return true;
    }
    return false;
}

static void
xfer_completed(struct rl_blob_batch *b, struct xfer *x, CURLcode rc)
{
    long code = x->code;

    if (code == 0)
        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
    xfer_cleanup_handle(b, x);
    if (x->err) { /* the consumer or the checks stopped it */
        xfer_finish(x);
        return;
    }
    if (rc == CURLE_OK && (code == 200 || code == 206)) {
        if (x->t->size >= 0 && x->t->received != x->t->size) {
            rc = CURLE_PARTIAL_FILE;
        } else {
            xfer_finish(x);
            return;
        }
    }
    if (rc == CURLE_OK && code == 401 && !x->auth_retry && b->r->realm) {
        /* The token expired during a long pull: get a new one and go on. */
        cleanup_free char *scope = xasprintf("repository:%s:pull", b->r->repository);
        x->auth_retry = true;
        if (fetch_token(b->r, scope, &x->err) < 0) {
            xfer_finish(x);
            return;
        }
        xfer_start(b, x);
        return;
    }
    if (x->attempt + 1 < RETRIES && transient(rc, code)) {
        long ms = 250L << x->attempt;
        x->attempt++;
        rl_debug("blob %s: attempt %d failed (%s), retrying in %ld ms from byte %lld", x->t->digest,
                 x->attempt, rc != CURLE_OK ? curl_easy_strerror(rc) : "HTTP error", ms,
                 (long long)x->t->received);
        clock_gettime(CLOCK_MONOTONIC, &x->retry_at);
        x->retry_at.tv_sec += ms / 1000;
        x->retry_at.tv_nsec += (ms % 1000) * 1000000L;
        if (x->retry_at.tv_nsec >= 1000000000L) {
            x->retry_at.tv_sec++;
            x->retry_at.tv_nsec -= 1000000000L;
        }
        x->state = XFER_WAITING;
        return;
    }
    if (rc != CURLE_OK) {
        rl_make_error(&x->err, 0, "blob %s: %s", x->t->digest,
                      x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
    } else {
        struct response res = { .body = x->errbody, .len = x->errlen, .code = code };
        cleanup_free char *what = xasprintf("blob %s", x->t->digest);
        x->errbody[x->errlen] = '\0';
        http_error(&x->err, what, &res);
    }
    xfer_finish(x);
}

static long
ms_until(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000;
}

int
rl_blob_batch_run(struct rl_blob_batch *b, rl_error_t *err)
{
    struct timespec last_progress = { 0 };

    for (;;) {
        size_t running = 0, pending = 0;
        int still, msgs, numfds;
        long timeout = 100;
        struct curl_waitfd wfd = { .fd = b->wake_fd, .events = CURL_WAIT_POLLIN };
        CURLMsg *m;

        for (size_t i = 0; i < b->n; i++) {
            struct xfer *x = b->x[i];
            if (x->state == XFER_RUNNING)
                running++;
            if (x->state == XFER_WAITING) {
                long left = ms_until(&x->retry_at);
                if (left <= 0 && running < (size_t)b->max_parallel) {
                    xfer_start(b, x);
                    running++;
                } else if (left < timeout) {
                    timeout = left > 0 ? left : 0;
                }
            }
        }
        for (size_t i = 0; i < b->n && running < (size_t)b->max_parallel; i++) {
            if (b->x[i]->state == XFER_QUEUED) {
                xfer_start(b, b->x[i]);
                running++;
            }
        }
        for (size_t i = 0; i < b->n; i++) {
            if (b->x[i]->state != XFER_DONE)
                pending++;
        }
        if (pending == 0)
            break;

        if (curl_multi_perform(b->multi, &still) != CURLM_OK)
            return rl_make_error(err, 0, "curl_multi_perform failed");
        while ((m = curl_multi_info_read(b->multi, &msgs)) != NULL) {
            struct xfer *x = NULL;
            if (m->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            xfer_completed(b, x, m->data.result);
        }
        /* The last transfer just ended: no reason to wait in poll. */
        pending = 0;
        for (size_t i = 0; i < b->n; i++) {
            if (b->x[i]->state != XFER_DONE)
                pending++;
        }
        if (pending == 0)
            break;
        if (curl_multi_poll(b->multi, b->wake_fd >= 0 ? &wfd : NULL, b->wake_fd >= 0 ? 1 : 0,
                            (int)timeout, &numfds)
            != CURLM_OK)
            return rl_make_error(err, 0, "curl_multi_poll failed");
        if (b->wake_fd >= 0 && (wfd.revents & CURL_WAIT_POLLIN)) {
            uint64_t v;
            if (read(b->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                return rl_make_error(err, errno, "read wake fd");
        }
        /* Consumers may have made room (or given up): let paused transfers go on. */
        for (size_t i = 0; i < b->n; i++) {
            struct xfer *x = b->x[i];
            if (x->state == XFER_RUNNING && x->paused) {
                x->paused = false;
                curl_easy_pause(x->h, CURLPAUSE_CONT);
            }
        }
        if (b->progress && ms_until(&last_progress) <= -100) {
            clock_gettime(CLOCK_MONOTONIC, &last_progress);
            b->progress(b->progress_data);
        }
    }
    if (b->progress)
        b->progress(b->progress_data);
    return 0;
}

void
rl_blob_batch_free(struct rl_blob_batch *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->n; i++) {
        xfer_cleanup_handle(b, b->x[i]);
        rl_digester_free(b->x[i]->digester);
        rl_error_release(&b->x[i]->err);
        free(b->x[i]->range);
        free(b->x[i]);
    }
    free(b->x);
    curl_multi_cleanup(b->multi);
    free(b);
}

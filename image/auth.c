#include "config.h"

#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "auth.h"
#include "fs.h"
#include "json.h"

/* Bounds on what is read into memory. */
#define AUTH_FILE_MAX_SIZE      (4 * 1024 * 1024)
#define TOKEN_RESPONSE_MAX_SIZE (1024 * 1024)
/* How much of a bad header an error message quotes. */
#define SHOWN_MAX_LEN 200
/* docker/distribution registry/client/auth/session.go: minimumTokenLifetimeSeconds. Shorter
 * (or absent) lifetimes are taken as this. */
#define TOKEN_MIN_EXPIRES_IN 60

/* Free a buffer that held a secret, wiping it first. */
static void
wipe_freep(char **p)
{
    if (*p != NULL) {
        explicit_bzero(*p, strlen(*p));
        free(*p);
    }
}
#define cleanup_wipe __attribute__((cleanup(wipe_freep)))

static char *
shown(const char *text)
{
    return rl_str_shown(text, SHOWN_MAX_LEN);
}

static char
lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* RFC 9110 tchar. */
static bool
is_tchar(char c)
{
    return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 7235 token68 characters, before the '=' padding. */
static bool
is_token68_char(char c)
{
    return is_alnum(c) || (c != '\0' && strchr("-._~+/", c) != NULL);
}

static const char *
skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Whether P starts a token68 that is the whole rest of a challenge ("Negotiate abc==",
 * "Basic dXNlcg=="), which RFC 7235 allows instead of parameters. */
static bool
is_token68(const char *p)
{
    const char *q = p;

    while (is_token68_char(*q))
        q++;
    if (q == p)
        return false;
    while (*q == '=')
        q++;
    q = skip_ows(q);
    return *q == '\0' || *q == ',';
}

/* A quoted-string at *P (on its opening quote), unescaped into *RET; *P moves past it. */
static int
parse_quoted(const char **p, char **ret, rl_error_t *err)
{
    const char *s = *p + 1;
    cleanup_free char *buf = xmalloc(strlen(s) + 1);
    size_t n = 0;

    for (;; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '\0')
            return rl_make_error(err, 0, "unterminated quoted string");
        if (c == '"')
            break;
        if (c == '\\') {
            c = (unsigned char)*++s;
            if (c == '\0')
                return rl_make_error(err, 0, "unterminated quoted string");
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return rl_make_error(err, 0, "control character 0x%02x in a quoted string", c);
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    *p = s + 1;
    *ret = steal_pointer(&buf);
    return 0;
}

static int
parse_challenge(const char *header, struct rl_auth_challenge *c, rl_error_t *err)
{
    const char *p = header, *start;
    bool first = true;

    while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
    if (*p == '\0')
        return rl_make_error(err, 0, "no challenge");
    for (start = p; is_tchar(*p); p++)
        ;
    if (p == start)
        return rl_make_error(err, 0, "expected an authentication scheme at offset %zu",
                             (size_t)(p - header));
    if (*p != '\0' && *p != ' ' && *p != '\t' && *p != ',')
        return rl_make_error(err, 0, "unexpected character at offset %zu", (size_t)(p - header));
    c->scheme = xstrndup(start, (size_t)(p - start));
    for (char *s = c->scheme; *s; s++)
        *s = lower(*s);

    for (;; first = false) {
        cleanup_free char *name = NULL;
        cleanup_free char *value = NULL;
        char **slot = NULL;
        const char *q;

        p = skip_ows(p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '\0')
            break;
        if (first && p[-1] != ',' && is_token68(p))
            break;
        for (start = p; is_tchar(*p); p++)
            ;
        if (p == start)
            return rl_make_error(err, 0, "unexpected character at offset %zu",
                                 (size_t)(p - header));
        q = skip_ows(p);
        if (*q != '=')
            break; /* the next challenge's scheme */
        name = xstrndup(start, (size_t)(p - start));
        for (char *s = name; *s; s++)
            *s = lower(*s);
        p = skip_ows(q + 1);
        if (*p == '"') {
            if (parse_quoted(&p, &value, err) < 0)
                return rl_error_wrap(err, "parameter '%s'", name);
        } else {
            for (start = p; is_tchar(*p); p++)
                ;
            if (p == start)
                return rl_make_error(err, 0, "parameter '%s' has no value", name);
            value = xstrndup(start, (size_t)(p - start));
        }
        p = skip_ows(p);
        if (*p != '\0' && *p != ',')
            return rl_make_error(err, 0, "expected ',' after parameter '%s' at offset %zu", name,
                                 (size_t)(p - header));

        if (strcmp(name, "realm") == 0)
            slot = &c->realm;
        else if (strcmp(name, "service") == 0)
            slot = &c->service;
        else if (strcmp(name, "scope") == 0)
            slot = &c->scope;
        else if (strcmp(name, "error") == 0)
            slot = &c->error;
        if (slot == NULL)
            continue;
        if (*slot != NULL)
            return rl_make_error(err, 0, "parameter '%s' is repeated", name);
        *slot = steal_pointer(&value);
    }
    if (strcmp(c->scheme, "bearer") == 0 && (c->realm == NULL || *c->realm == '\0'))
        return rl_make_error(err, 0, "Bearer challenge without a realm");
    return 0;
}

int
rl_auth_challenge_parse(const char *header, struct rl_auth_challenge *ret, rl_error_t *err)
{
    struct rl_auth_challenge c = { 0 };

    if (parse_challenge(header, &c, err) < 0) {
        cleanup_free char *s = shown(header);
        rl_auth_challenge_release(&c);
        return rl_error_wrap(err, "invalid WWW-Authenticate header '%s'", s);
    }
    *ret = c;
    return 0;
}

void
rl_auth_challenge_release(struct rl_auth_challenge *c)
{
    free(c->scheme);
    free(c->realm);
    free(c->service);
    free(c->scope);
    free(c->error);
    memset(c, 0, sizeof(*c));
}

/* The JSON document BUF. Its parse errors give only the position: jansson's text quotes
 * the input, which may hold a secret. */
static json_t *
load_secret_json(const char *buf, size_t len, rl_error_t *err)
{
    json_error_t jerr;
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);

    if (j == NULL) {
        rl_make_error(err, 0, "invalid JSON at line %d column %d", jerr.line, jerr.column);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        rl_make_error(err, 0, "must be a JSON object");
        return NULL;
    }
    return j;
}

static int
parse_token(const char *buf, size_t len, char **ret_token, long *ret_expires_in, rl_error_t *err)
{
    static const char *const keys[] = { "token", "access_token" };
    cleanup_json json_t *root = NULL;
    const char *token = NULL;
    json_t *v;
    long expires_in = TOKEN_MIN_EXPIRES_IN;

    if (len > TOKEN_RESPONSE_MAX_SIZE)
        return rl_make_error(err, 0, "%zu bytes, more than the limit of %d", len,
                             TOKEN_RESPONSE_MAX_SIZE);
    root = load_secret_json(buf, len, err);
    if (root == NULL)
        return -1;
    for (size_t i = 0; i < RL_ARRAY_SIZE(keys); i++) {
        v = json_object_get(root, keys[i]);
        if (v == NULL || json_is_null(v))
            continue;
        if (!json_is_string(v))
            return rl_make_error(err, 0, "%s: must be a string", keys[i]);
        if (token == NULL && json_string_length(v) > 0)
            token = json_string_value(v);
    }
    if (token == NULL)
        return rl_make_error(err, 0, "no \"token\" or \"access_token\"");
    v = json_object_get(root, "expires_in");
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_integer(v))
            return rl_make_error(err, 0, "expires_in: must be an integer");
        if (json_integer_value(v) > TOKEN_MIN_EXPIRES_IN)
            expires_in = json_integer_value(v) > (json_int_t)LONG_MAX ? LONG_MAX
                                                                      : (long)json_integer_value(v);
    }
    *ret_token = xstrdup(token);
    *ret_expires_in = expires_in;
    return 0;
}

int
rl_auth_token_parse(const char *buf, size_t len, char **ret_token, long *ret_expires_in,
                    rl_error_t *err)
{
    if (parse_token(buf, len, ret_token, ret_expires_in, err) < 0)
        return rl_error_wrap(err, "token response");
    return 0;
}

static const char *
getenv_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? v : NULL;
}

/* The auth files rl_auth_lookup reads, in order (containers/image
 * pkg/docker/config/config.go getAuthFilePaths, without the legacy ~/.dockercfg). */
static char **
lookup_paths(void)
{
    const char *authfile = getenv_nonempty("REGISTRY_AUTH_FILE");
    const char *runtime = getenv_nonempty("XDG_RUNTIME_DIR");
    const char *config = getenv_nonempty("XDG_CONFIG_HOME");
    const char *docker = getenv_nonempty("DOCKER_CONFIG");
    const char *home = getenv_nonempty("HOME");
    char **v = xzalloc(5 * sizeof(char *));
    size_t n = 0;

    if (authfile != NULL) {
        v[n++] = xstrdup(authfile);
        return v;
    }
    if (runtime != NULL)
        v[n++] = xasprintf("%s/containers/auth.json", runtime);
    if (config != NULL)
        v[n++] = xasprintf("%s/containers/auth.json", config);
    else if (home != NULL)
        v[n++] = xasprintf("%s/.config/containers/auth.json", home);
    if (docker != NULL)
        v[n++] = xasprintf("%s/config.json", docker);
    else if (home != NULL)
        v[n++] = xasprintf("%s/.docker/config.json", home);
    return v;
}

char *
rl_auth_default_path(void)
{
    const char *authfile = getenv_nonempty("REGISTRY_AUTH_FILE");
    const char *runtime = getenv_nonempty("XDG_RUNTIME_DIR");
    const char *config = getenv_nonempty("XDG_CONFIG_HOME");
    const char *home = getenv_nonempty("HOME");

    if (authfile != NULL)
        return xstrdup(authfile);
    if (runtime != NULL)
        return xasprintf("%s/containers/auth.json", runtime);
    if (config != NULL)
        return xasprintf("%s/containers/auth.json", config);
    if (home != NULL)
        return xasprintf("%s/.config/containers/auth.json", home);
    return NULL;
}

/* Docker Hub's names are one registry (containers/image normalizeRegistry). */
static bool
same_registry(const char *a, size_t a_len, const char *b)
{
    static const char *const hub[] = { "docker.io", "index.docker.io", "registry-1.docker.io" };
    bool a_hub = false, b_hub = false;

    if (strlen(b) == a_len && memcmp(a, b, a_len) == 0)
        return true;
    for (size_t i = 0; i < RL_ARRAY_SIZE(hub); i++) {
        if (strlen(hub[i]) == a_len && memcmp(a, hub[i], a_len) == 0)
            a_hub = true;
        if (strcmp(b, hub[i]) == 0)
            b_hub = true;
    }
    return a_hub && b_hub;
}

enum key_match {
    KEY_NO_MATCH,
    KEY_EXACT, /* "registry" */
    KEY_URL,   /* "https://registry", "https://registry/v1/", "http://registry" */
    KEY_PATH,  /* "registry/namespace" */
};

/* How the auths key KEY names REGISTRY; lookups prefer the lower values. */
static enum key_match
match_key(const char *key, const char *registry)
{
    const char *host = key;
    size_t host_len;

    if (rl_str_has_prefix(key, "https://"))
        host = key + strlen("https://");
    else if (rl_str_has_prefix(key, "http://"))
        host = key + strlen("http://");
    host_len = strcspn(host, "/");
    if (!same_registry(host, host_len, registry))
        return KEY_NO_MATCH;
    if (host != key)
        return KEY_URL;
    return host[host_len] == '\0' ? KEY_EXACT : KEY_PATH;
}

/* Read and parse the auth file PATH into *RET (an object); *RET is NULL when the file does
 * not exist. */
static int
load_auth_file(const char *path, json_t **ret, rl_error_t *err)
{
    cleanup_error rl_error_t read_err = NULL;
    cleanup_wipe char *buf = NULL;
    size_t len;
    json_t *root;

    if (rl_read_file(path, AUTH_FILE_MAX_SIZE, &buf, &len, &read_err) < 0) {
        if (read_err->status == ENOENT || read_err->status == ENOTDIR) {
            *ret = NULL;
            return 0;
        }
        rl_make_error(err, read_err->status, "%s", read_err->msg);
        return -1;
    }
    root = load_secret_json(buf, len, err);
    if (root == NULL)
        return rl_error_wrap(err, "auth file '%s'", path);
    *ret = root;
    return 0;
}

/* ROOT's "auths" object, or NULL when it has none. */
static int
get_auths(json_t *root, const char *path, json_t **ret, rl_error_t *err)
{
    json_t *auths = json_object_get(root, "auths");

    if (auths == NULL || json_is_null(auths)) {
        *ret = NULL;
        return 0;
    }
    if (!json_is_object(auths))
        return rl_make_error(err, 0, "auth file '%s': auths: must be an object", path);
    *ret = auths;
    return 0;
}

/* The credentials of entry KEY of the auths object of PATH; both NULL when it has none. */
static int
decode_entry(const char *path, const char *key, json_t *entry, char **ret_user, char **ret_password,
             rl_error_t *err)
{
    cleanup_free char *k = shown(key);
    cleanup_wipe char *decoded = NULL;
    json_t *auth;
    size_t len;
    char *colon;

    if (!json_is_object(entry))
        return rl_make_error(err, 0, "auth file '%s': auths.'%s': must be an object", path, k);
    auth = json_object_get(entry, "auth");
    if (auth == NULL || json_is_null(auth)) {
        *ret_user = *ret_password = NULL;
        return 0;
    }
    if (!json_is_string(auth))
        return rl_make_error(err, 0, "auth file '%s': auths.'%s'.auth: must be a string", path, k);
    if (json_string_length(auth) == 0) {
        *ret_user = *ret_password = NULL;
        return 0;
    }
    if (rl_base64_decode(json_string_value(auth), &decoded, &len, err) < 0)
        return rl_error_wrap(err, "auth file '%s': auths.'%s'.auth", path, k);
    if (memchr(decoded, '\0', len) != NULL)
        return rl_make_error(err, 0, "auth file '%s': auths.'%s'.auth: contains a NUL byte", path,
                             k);
    colon = strchr(decoded, ':');
    if (colon == NULL)
        return rl_make_error(err, 0, "auth file '%s': auths.'%s'.auth: not 'user:password'", path,
                             k);
    *ret_user = xstrndup(decoded, (size_t)(colon - decoded));
    *ret_password = xstrdup(colon + 1);
    return 0;
}

int
rl_auth_lookup_file(const char *path, const char *registry, char **ret_user, char **ret_password,
                    rl_error_t *err)
{
    cleanup_json json_t *root = NULL;
    json_t *auths, *entry, *best = NULL;
    const char *key, *best_key = NULL;
    enum key_match best_match = KEY_NO_MATCH;

    *ret_user = *ret_password = NULL;
    if (load_auth_file(path, &root, err) < 0)
        return -1;
    if (root == NULL)
        return 0;
    if (get_auths(root, path, &auths, err) < 0)
        return -1;
    if (auths == NULL)
        return 0;
    json_object_foreach (auths, key, entry) {
        enum key_match m = match_key(key, registry);
        if (m != KEY_NO_MATCH && (best == NULL || m < best_match)) {
            best = entry;
            best_key = key;
            best_match = m;
        }
    }
    if (best == NULL)
        return 0;
    return decode_entry(path, best_key, best, ret_user, ret_password, err);
}

int
rl_auth_lookup(const char *registry, char **ret_user, char **ret_password, rl_error_t *err)
{
    cleanup_strv char **paths = lookup_paths();

    for (size_t i = 0; paths[i] != NULL; i++) {
        char *user = NULL, *password = NULL;

        if (rl_auth_lookup_file(paths[i], registry, &user, &password, err) < 0)
            return -1;
        if (user != NULL) {
            *ret_user = user;
            *ret_password = password;
            return 0;
        }
    }
    *ret_user = NULL;
    *ret_password = NULL;
    return 0;
}

/* Write ROOT to PATH, mode 0600, its directory created 0700. */
static int
write_auth_file(const char *path, json_t *root, rl_error_t *err)
{
    cleanup_free char *dir = xstrdup(path);
    cleanup_wipe char *text = NULL;
    cleanup_wipe char *line = NULL;
    char *slash = strrchr(dir, '/');

    if (slash != NULL && slash != dir) {
        *slash = '\0';
        if (rl_mkdir_p(dir, 0700, err) < 0)
            return rl_error_wrap(err, "auth file '%s'", path);
    }
    text = json_dumps(root, JSON_INDENT(4));
    if (text == NULL)
        return rl_make_error(err, 0, "auth file '%s': cannot encode JSON", path);
    line = xasprintf("%s\n", text);
    if (rl_write_file_atomic(path, line, strlen(line), 0600, true, err) < 0)
        return rl_error_wrap(err, "auth file '%s'", path);
    return 0;
}

static int
need_path(const char **path, char **ret_default, rl_error_t *err)
{
    if (*path != NULL)
        return 0;
    *ret_default = rl_auth_default_path();
    if (*ret_default == NULL)
        return rl_make_error(
            err, 0,
            "no auth file: set REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, XDG_CONFIG_HOME or HOME");
    *path = *ret_default;
    return 0;
}

int
rl_auth_store(const char *path, const char *registry, const char *user, const char *password,
              rl_error_t *err)
{
    cleanup_free char *default_path = NULL;
    cleanup_json json_t *root = NULL;
    cleanup_wipe char *cred = NULL;
    cleanup_wipe char *encoded = NULL;
    json_t *auths, *entry;

    if (*registry == '\0')
        return rl_make_error(err, 0, "store credentials: empty registry name");
    if (*user == '\0' || strchr(user, ':') != NULL)
        return rl_make_error(
            err, 0, "store credentials for %s: the user name must be non-empty and have no ':'",
            registry);
    if (need_path(&path, &default_path, err) < 0)
        return -1;
    if (load_auth_file(path, &root, err) < 0)
        return -1;
    if (root == NULL)
        root = json_object();
    if (get_auths(root, path, &auths, err) < 0)
        return -1;
    if (auths == NULL) {
        auths = json_object();
        json_object_set_new(root, "auths", auths);
    }
    cred = xasprintf("%s:%s", user, password);
    encoded = rl_base64_encode(cred, strlen(cred));
    entry = json_object();
    json_object_set_new(entry, "auth", json_string(encoded));
    if (json_object_set_new(auths, registry, entry) < 0)
        return rl_make_error(err, 0, "store credentials: invalid registry name");
    return write_auth_file(path, root, err);
}

int
rl_auth_remove(const char *path, const char *registry, bool all, rl_error_t *err)
{
    cleanup_free char *default_path = NULL;
    cleanup_json json_t *root = NULL;
    json_t *auths = NULL, *entry;
    const char *key;
    void *tmp;
    bool removed = false;

    if (need_path(&path, &default_path, err) < 0)
        return -1;
    if (load_auth_file(path, &root, err) < 0)
        return -1;
    if (root != NULL && get_auths(root, path, &auths, err) < 0)
        return -1;
    if (all) {
        if (auths == NULL)
            return 0;
        json_object_clear(auths);
        return write_auth_file(path, root, err);
    }
    if (auths != NULL)
        json_object_foreach_safe(auths, tmp, key, entry)
        {
            if (match_key(key, registry) != KEY_NO_MATCH) {
                json_object_del(auths, key);
                removed = true;
            }
        }
    if (!removed)
        return rl_make_error(err, ENOENT, "not logged into %s", registry);
    return write_auth_file(path, root, err);
}

static const char base64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
rl_base64_encode(const void *buf, size_t len)
{
    const unsigned char *in = buf;
    char *out = xmalloc((len + 2) / 3 * 4 + 1);
    char *p = out;
    size_t i;

    for (i = 0; i + 3 <= len; i += 3) {
        unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
        *p++ = base64_chars[(v >> 18) & 63];
        *p++ = base64_chars[(v >> 12) & 63];
        *p++ = base64_chars[(v >> 6) & 63];
        *p++ = base64_chars[v & 63];
    }
    if (len - i == 1) {
        unsigned long v = (unsigned long)in[i] << 16;
        *p++ = base64_chars[(v >> 18) & 63];
        *p++ = base64_chars[(v >> 12) & 63];
        *p++ = '=';
        *p++ = '=';
    } else if (len - i == 2) {
        unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
        *p++ = base64_chars[(v >> 18) & 63];
        *p++ = base64_chars[(v >> 12) & 63];
        *p++ = base64_chars[(v >> 6) & 63];
        *p++ = '=';
    }
    *p = '\0';
    return out;
}

static int
base64_value(char c)
{
    const char *p = c != '\0' ? strchr(base64_chars, c) : NULL;
    return p != NULL ? (int)(p - base64_chars) : -1;
}

/* Errors never quote TEXT: it is often a secret. *RET_BUF has a NUL after its *RET_LEN
 * bytes. */
int
rl_base64_decode(const char *text, char **ret_buf, size_t *ret_len, rl_error_t *err)
{
    size_t len = strlen(text);
    cleanup_free unsigned char *out = NULL;
    size_t n = 0;

    if (len % 4 != 0)
        return rl_make_error(err, 0, "invalid base64: length %zu is not a multiple of 4", len);
    out = xmalloc(len / 4 * 3 + 1);
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        size_t pad = 0;

        for (size_t j = 0; j < 4; j++) {
            char c = text[i + j];
            if (c == '=' && i + 4 == len && j >= 2) {
                v[j] = 0;
                pad++;
                continue;
            }
            v[j] = base64_value(c);
            if (v[j] < 0 || pad > 0)
                return rl_make_error(err, 0, "invalid base64: bad character at offset %zu", i + j);
        }
        out[n++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        if (pad < 2)
            out[n++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
        if (pad < 1)
            out[n++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
    }
    out[n] = '\0';
    *ret_buf = (char *)steal_pointer(&out);
    *ret_len = n;
    return 0;
}

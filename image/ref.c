#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "digest.h"
#include "ref.h"

#define NAME_MAX_LEN   255
#define TAG_MAX_LEN    128
#define DIGEST_MAX_LEN 256
/* How much of a bad reference an error message quotes. */
#define SHOWN_MAX_LEN 300

#define DEFAULT_REGISTRY "docker.io"
#define DEFAULT_TAG      "latest"

static bool
is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* tag := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
static int
check_tag(const char *tag, rl_error_t *err)
{
    size_t len = strlen(tag);

    if (len == 0)
        return rl_make_error(err, 0, "tag after ':' is empty");
    if (len > TAG_MAX_LEN)
        return rl_make_error(err, 0, "tag is longer than %d characters (%zu)", TAG_MAX_LEN, len);
    if (!is_alnum(tag[0]) && tag[0] != '_')
        return rl_make_error(err, 0, "tag '%s' must start with a letter, digit or '_'", tag);
    for (size_t i = 1; i < len; i++)
        if (!is_alnum(tag[i]) && strchr("_.-", tag[i]) == NULL)
            return rl_make_error(
                err, 0,
                "tag '%s': character '%c' is not allowed (only letters, digits, '_', '.', '-')",
                tag, tag[i]);
    return 0;
}

static int
check_digest(const char *digest, rl_error_t *err)
{
    size_t len = strlen(digest);

    if (len == 0)
        return rl_make_error(err, 0, "digest after '@' is empty");
    if (len > DIGEST_MAX_LEN)
        return rl_make_error(err, 0, "digest is longer than %d characters (%zu)", DIGEST_MAX_LEN,
                             len);
    return rl_digest_check_syntax(digest, err);
}

/* port := [0-9]+ in 1-65535 */
static int
check_port(const char *registry, const char *port, rl_error_t *err)
{
    long long n;

    if (*port == '\0')
        return rl_make_error(err, 0, "registry '%s': port after ':' is empty", registry);
    for (const char *p = port; *p; p++)
        if (!is_digit(*p))
            return rl_make_error(err, 0, "registry '%s': port '%s' is not a number", registry,
                                 port);
    if (!rl_parse_ll(port, 1, 65535, &n))
        return rl_make_error(err, 0, "registry '%s': port '%s' is not in 1-65535", registry, port);
    return 0;
}

/* host := domain-name | IPv4address | '[' IPv6address ']', then an optional ':port'.
 * domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static int
check_registry(const char *registry, rl_error_t *err)
{
    const char *p = registry;

    if (*p == '[') {
        const char *close = strchr(p, ']');
        char addr[INET6_ADDRSTRLEN + 1];
        struct in6_addr in6;
        size_t len;

        if (close == NULL)
            return rl_make_error(err, 0, "registry '%s': missing ']' after an IPv6 address",
                                 registry);
        len = (size_t)(close - p - 1);
        if (len == 0 || len >= sizeof(addr))
            return rl_make_error(err, 0, "registry '%s': invalid IPv6 address", registry);
        memcpy(addr, p + 1, len);
        addr[len] = '\0';
        if (inet_pton(AF_INET6, addr, &in6) != 1)
            return rl_make_error(err, 0, "registry '%s': invalid IPv6 address '%s'", registry,
                                 addr);
        p = close + 1;
        if (*p == '\0')
            return 0;
        if (*p != ':')
            return rl_make_error(err, 0, "registry '%s': ':port' or '/' must follow ']'", registry);
        return check_port(registry, p + 1, err);
    }

    for (;;) {
        const char *start = p;
        size_t len;

        while (is_alnum(*p) || *p == '-')
            p++;
        len = (size_t)(p - start);
        if (len == 0 && (*p == '.' || *p == ':' || *p == '\0'))
            return rl_make_error(err, 0, "registry '%s': empty host name component", registry);
        if (len == 0 || (*p != '.' && *p != ':' && *p != '\0'))
            return rl_make_error(err, 0,
                                 "registry '%s': character '%c' is not allowed in a host name",
                                 registry, *p);
        if (start[0] == '-' || start[len - 1] == '-')
            return rl_make_error(
                err, 0,
                "registry '%s': host name component '%.*s' must start and end with a letter or digit",
                registry, (int)len, start);
        if (*p == '\0')
            return 0;
        if (*p == ':')
            return check_port(registry, p + 1, err);
        p++;
    }
}

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := '.' | '_' | '__' | '-'+ */
static int
check_path_component(const char *comp, size_t len, rl_error_t *err)
{
    size_t i = 0;

    for (;;) {
        size_t start;
        bool dashes = true;

        while (i < len && is_lower_alnum(comp[i]))
            i++;
        if (i == len)
            return 0;
        if (strchr("._-", comp[i]) == NULL)
            return rl_make_error(
                err, 0,
                "path component '%.*s': character '%c' is not allowed (only a-z, 0-9, '.', '_', '-')",
                (int)len, comp, comp[i]);
        if (i == 0)
            return rl_make_error(
                err, 0, "path component '%.*s' must start with a lower-case letter or digit",
                (int)len, comp);
        start = i;
        while (i < len && strchr("._-", comp[i]) != NULL) {
            dashes = dashes && comp[i] == '-';
            i++;
        }
        if (i == len)
            return rl_make_error(err, 0,
                                 "path component '%.*s' must end with a lower-case letter or digit",
                                 (int)len, comp);
        if (!dashes && i - start != 1
            && !(i - start == 2 && comp[start] == '_' && comp[start + 1] == '_'))
            return rl_make_error(
                err, 0,
                "path component '%.*s': separator '%.*s' is not allowed (only '.', '_', '__' or dashes)",
                (int)len, comp, (int)(i - start), comp + start);
    }
}

static int
check_path(const char *path, rl_error_t *err)
{
    const char *p = path;

    for (const char *c = path; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            return rl_make_error(err, 0, "repository name must be lowercase");
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        int ret = check_path_component(p, len, err);

        if (ret < 0)
            return ret;
        if (slash == NULL)
            return 0;
        p = slash + 1;
    }
}

/* The first component names a registry when it looks like a host, as in docker:
 * it has a '.' or a ':', or it is "localhost". */
static bool
is_registry(const char *comp, size_t len)
{
    return memchr(comp, '.', len) != NULL || memchr(comp, ':', len) != NULL
           || (len == 9 && memcmp(comp, "localhost", 9) == 0);
}

static bool
is_valid_registry(const char *registry)
{
    rl_error_t tmp = NULL;
    bool ok = check_registry(registry, &tmp) == 0;

    rl_error_release(&tmp);
    return ok;
}

/* COMP would also pass as a path component: no ':', and the [a-z0-9] / separator grammar. */
static bool
could_be_path(const char *comp)
{
    rl_error_t tmp = NULL;
    bool ok;

    if (strchr(comp, ':') != NULL)
        return false;
    for (const char *c = comp; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            return false;
    ok = check_path_component(comp, strlen(comp), &tmp) == 0;
    rl_error_release(&tmp);
    return ok;
}

static int
parse_name(const char *name, struct rl_image_ref *ref, rl_error_t *err)
{
    size_t len = strlen(name);
    const char *slash, *path = name;
    int ret;

    if (len == 0)
        return rl_make_error(err, 0, "name is empty");
    if (len > NAME_MAX_LEN)
        return rl_make_error(err, 0, "name is longer than %d characters (%zu)", NAME_MAX_LEN, len);
    if (name[0] == '/')
        return rl_make_error(err, 0, "name must not start with '/'");
    if (name[len - 1] == '/')
        return rl_make_error(err, 0, "name must not end with '/'");
    if (strstr(name, "//") != NULL)
        return rl_make_error(err, 0, "name has an empty path component ('//')");

    slash = strchr(name, '/');
    if (slash != NULL && is_registry(name, (size_t)(slash - name))) {
        cleanup_free char *head = xstrndup(name, (size_t)(slash - name));

        /* Like the anchored regular expression of distribution/reference, which reads
         * "a.b__c/d" as a path when its head is no host name but a path component. */
        if (!could_be_path(head) || is_valid_registry(head)) {
            ret = check_registry(head, err);
            if (ret < 0)
                return ret;
            if (strcmp(head, "index.docker.io") != 0)
                ref->registry = steal_pointer(&head);
            path = slash + 1;
        }
    }
    ret = check_path(path, err);
    if (ret < 0)
        return ret;

    if (ref->registry == NULL)
        ref->registry = xstrdup(DEFAULT_REGISTRY);
    if (strcmp(ref->registry, DEFAULT_REGISTRY) == 0 && strchr(path, '/') == NULL)
        ref->repository = xasprintf("library/%s", path);
    else
        ref->repository = xstrdup(path);
    /* The limit holds for the normalised name too, as in distribution/reference: what is
     * stored must parse again. */
    len = strlen(ref->registry) + 1 + strlen(ref->repository);
    if (len > NAME_MAX_LEN)
        return rl_make_error(err, 0, "name is longer than %d characters (%zu) once normalised",
                             NAME_MAX_LEN, len);
    return 0;
}

/* reference := name [ ':' tag ] [ '@' digest ] */
static int
parse_reference(const char *text, struct rl_image_ref *ref, rl_error_t *err)
{
    cleanup_free char *name = NULL;
    const char *at, *colon, *slash;
    int ret;

    if (*text == '\0')
        return rl_make_error(err, 0, "empty reference");
    for (const char *c = text; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u < 0x20 || u >= 0x7f)
            return rl_make_error(err, 0, "byte 0x%02x at offset %zu is not printable ASCII", u,
                                 (size_t)(c - text));
    }

    at = strchr(text, '@');
    name = at ? xstrndup(text, (size_t)(at - text)) : xstrdup(text);
    if (at != NULL) {
        ret = check_digest(at + 1, err);
        if (ret < 0)
            return ret;
        ref->digest = xstrdup(at + 1);
    }

    colon = strrchr(name, ':');
    slash = strrchr(name, '/');
    if (colon != NULL && (slash == NULL || colon > slash)) {
        ret = check_tag(colon + 1, err);
        if (ret < 0)
            return ret;
        ref->tag = xstrdup(colon + 1);
        name[colon - name] = '\0';
    }

    ret = parse_name(name, ref, err);
    if (ret < 0)
        return ret;
    if (ref->tag == NULL && ref->digest == NULL)
        ref->tag = xstrdup(DEFAULT_TAG);
    return 0;
}

int
rl_image_ref_parse(const char *text, struct rl_image_ref **ret_ref, rl_error_t *err)
{
    cleanup_image_ref struct rl_image_ref *ref = xzalloc(sizeof(*ref));
    int ret;

    ret = parse_reference(text, ref, err);
    if (ret < 0) {
        cleanup_free char *shown = rl_str_shown(text, SHOWN_MAX_LEN);
        return rl_error_wrap(err, "invalid image reference '%s'", shown);
    }
    *ret_ref = steal_pointer(&ref);
    return 0;
}

char *
rl_image_ref_format(const struct rl_image_ref *ref)
{
    return xasprintf("%s/%s%s%s%s%s", ref->registry, ref->repository, ref->tag ? ":" : "",
                     ref->tag ? ref->tag : "", ref->digest ? "@" : "",
                     ref->digest ? ref->digest : "");
}

struct rl_image_ref *
rl_image_ref_free(struct rl_image_ref *ref)
{
    if (ref == NULL)
        return NULL;
    free(ref->registry);
    free(ref->repository);
    free(ref->tag);
    free(ref->digest);
    free(ref);
    return NULL;
}

void
rl_image_ref_freep(struct rl_image_ref **ref)
{
    *ref = rl_image_ref_free(*ref);
}

int
rl_image_ref_parse_local(const char *text, struct rl_image_ref **ret_ref, rl_error_t *err)
{
    cleanup_image_ref struct rl_image_ref *ref = NULL;
    cleanup_free char *local = NULL;
    const char *slash = strchr(text, '/');

    /* Parse as given first, so that errors speak of what the user typed. */
    if (rl_image_ref_parse(text, &ref, err) < 0)
        return -1;
    if (slash && is_registry(text, (size_t)(slash - text))) {
        *ret_ref = steal_pointer(&ref);
        return 0;
    }
    local = xasprintf("localhost/%s", text);
    return rl_image_ref_parse(local, ret_ref, err);
}

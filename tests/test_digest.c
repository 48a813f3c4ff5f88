#include "config.h"

#include <string.h>

#include "digest.h"
#include "tap.h"

#define SHA256_EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_ABC   "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void
test_known_vectors(void)
{
    cleanup_free char *empty = NULL;
    cleanup_free char *abc = NULL;
    cleanup_error rl_error_t err = NULL;

    ok(rl_digest_of("", 0, &empty, &err) == 0, "digest of \"\"");
    is_str(empty, SHA256_EMPTY, "sha256 of \"\" is the known vector");
    ok(rl_digest_of("abc", 3, &abc, &err) == 0, "digest of \"abc\"");
    is_str(abc, SHA256_ABC, "sha256 of \"abc\" is the known vector");
    ok(err == NULL, "no error on success");
}

/* Feed BUF in pieces of STEP bytes and return the digest. */
static char *
digest_in_pieces(const unsigned char *buf, size_t len, size_t step, const char *expected)
{
    cleanup_digester struct rl_digester *d = NULL;
    cleanup_error rl_error_t err = NULL;
    char *digest = NULL;

    d = rl_digester_new(expected, &err);
    if (d == NULL)
        return NULL;
    for (size_t off = 0; off < len; off += step) {
        size_t n = len - off < step ? len - off : step;
        if (rl_digester_update(d, buf + off, n, &err) < 0)
            return NULL;
    }
    if (rl_digester_finish(d, &digest, &err) < 0)
        return NULL;
    return digest;
}

static void
test_streaming(void)
{
    static const size_t steps[] = { 1, 7, 4096 };
    size_t len = 3 * 4096 + 123;
    cleanup_free unsigned char *buf = xmalloc(len);
    cleanup_free char *whole = NULL;
    cleanup_error rl_error_t err = NULL;

    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(i * 31 + (i >> 8));
    ok(rl_digest_of(buf, len, &whole, &err) == 0, "one-shot digest of %zu bytes", len);

    for (size_t i = 0; i < RL_ARRAY_SIZE(steps); i++) {
        cleanup_free char *piecewise = digest_in_pieces(buf, len, steps[i], NULL);
        cleanup_free char *checked = digest_in_pieces(buf, len, steps[i], whole);

        is_str(piecewise, whole, "pieces of %zu bytes give the one-shot digest", steps[i]);
        is_str(checked, whole, "pieces of %zu bytes match the expected digest", steps[i]);
    }
}

static void
test_mismatch(void)
{
    cleanup_digester struct rl_digester *d = NULL;
    cleanup_error rl_error_t err = NULL;
    char *digest = (char *)"untouched";

    d = rl_digester_new(SHA256_EMPTY, &err);
    ok(d != NULL, "digester with an expected digest");
    ok(rl_digester_update(d, "abc", 3, &err) == 0, "update");
    ok(rl_digester_finish(d, &digest, &err) < 0, "finish fails on a mismatch");
    is_str(err ? err->msg : NULL, "digest mismatch: expected " SHA256_EMPTY ", got " SHA256_ABC,
           "the message names both digests");
    is_str(digest, "untouched", "ret_digest is left alone on a mismatch");
    rl_error_release(&err);

    ok(rl_digester_update(d, "x", 1, &err) < 0 && strstr(err->msg, "after finish"),
       "update after finish is refused");
    rl_error_release(&err);
    ok(rl_digester_finish(d, NULL, &err) < 0, "a second finish is refused");
    rl_error_release(&err);
    d = rl_digester_free(d);
    ok(d == NULL && rl_digester_free(NULL) == NULL, "rl_digester_free returns NULL");

    d = rl_digester_new(SHA256_ABC, &err);
    ok(d && rl_digester_update(d, "ab", 2, &err) == 0 && rl_digester_update(d, "c", 1, &err) == 0
           && rl_digester_finish(d, NULL, &err) == 0,
       "a matching stream finishes, ret_digest may be NULL");

    ok(rl_digester_new("sha256:abc", &err) == NULL && strstr(err->msg, "invalid digest"),
       "digester_new checks the expected digest");
}

static void
test_syntax(void)
{
    static const struct {
        const char *digest;
        const char *msg; /* NULL: valid */
    } cases[] = {
        { SHA256_EMPTY, NULL },
        { SHA256_ABC, NULL },
        { "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
          "unsupported digest algorithm 'sha512'" },
        { "md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported digest algorithm 'md5'" },
        { "sha256:abc", "invalid digest 'sha256:abc'" },
        { "sha256:", "invalid digest 'sha256:'" },
        { "SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
          "invalid digest 'SHA256:" },
        { "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
          "invalid digest 'sha256:E3B0" },
        { "sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
          "'g' is not a lower-case hex digit" },
        { "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8550",
          "65 hex digits" },
        { "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "no 'algorithm:'" },
        { "", "invalid digest ''" },
        { ":e3b0", "invalid digest ':e3b0'" },
    };

    for (size_t i = 0; i < RL_ARRAY_SIZE(cases); i++) {
        cleanup_error rl_error_t err = NULL;
        int ret = rl_digest_check_syntax(cases[i].digest, &err);

        if (cases[i].msg == NULL) {
            ok(ret == 0 && err == NULL, "'%s' is valid", cases[i].digest);
            continue;
        }
        ok(ret < 0 && err && strstr(err->msg, cases[i].msg), "'%.20s...' is refused: %s",
           cases[i].digest, cases[i].msg);
        if (err)
            printf("#   %s\n", err->msg);
    }
}

int
main(void)
{
    test_known_vectors();
    test_streaming();
    test_mismatch();
    test_syntax();
    done_testing();
}

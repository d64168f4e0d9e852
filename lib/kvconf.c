/* key=value settings files (include/grantline/kvconf.h). */
#include "grantline/kvconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KVCONF_MAX (1 << 20)

void gl_kvconf_free(struct gl_kvconf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->items[i]);
    free(c->items);
    free(c);
}

bool gl_kvconf_secret_key(const char *key)
{
    static const char *const words[] = {"password", "secret", "key",        "token",
                                        "pem",      "jaas",   "credential", "oauthbearer"};
    char low[256];
    size_t n = 0;
    for (; key[n] && n < sizeof low - 1; n++)
        low[n] = (char)(key[n] >= 'A' && key[n] <= 'Z' ? key[n] - 'A' + 'a' : key[n]);
    low[n] = '\0';
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strstr(low, words[i]))
            return true;
    return false;
}

bool gl_kvconf_key_ok(const char *key, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = key[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

/* Whether [w, w+n) occurs in a secret setting's value of 'props'. */
static bool in_secret(const char *const *props, size_t n_props, const char *w, size_t n)
{
    for (size_t i = 0; i < n_props; i++) {
        const char *eq = strchr(props[i], '=');
        if (!eq)
            continue;
        char key[256];
        size_t kl =
            (size_t)(eq - props[i]) < sizeof key - 1 ? (size_t)(eq - props[i]) : sizeof key - 1;
        memcpy(key, props[i], kl);
        key[kl] = '\0';
        if (!gl_kvconf_secret_key(key))
            continue;
        const char *v = eq + 1;
        size_t vl = strlen(v);
        for (size_t at = 0; vl >= n && at + n <= vl; at++)
            if (memcmp(v + at, w, n) == 0)
                return true;
    }
    return false;
}

void gl_kvconf_mask(const char *const *props, size_t n_props, const char *text, char *out,
                    size_t outlen)
{
    size_t o = 0;
    if (outlen == 0)
        return;
    for (const char *p = text; *p && o + 1 < outlen;) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == ',' || *p == '"' || *p == '\'') {
            out[o++] = *p++;
            continue;
        }
        size_t n = strcspn(p, " \t\n,\"'");
        static const char hidden[] = "(hidden)";
        const char *w = n >= 4 && in_secret(props, n_props, p, n) ? hidden : p;
        size_t wl = w == hidden ? sizeof hidden - 1 : n;
        for (size_t i = 0; i < wl && o + 1 < outlen; i++)
            out[o++] = w[i];
        p += n;
    }
    out[o] = '\0';
}

static bool space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* [s, e) without the spaces at both ends. */
static void trim(const char **s, const char **e)
{
    while (*s < *e && space(**s))
        (*s)++;
    while (*e > *s && space((*e)[-1]))
        (*e)--;
}

/* Appends 'kv' (owned: freed here on failure). */
static int add_owned(struct gl_kvconf *c, char *kv)
{
    char **items = kv ? realloc(c->items, (c->n + 1) * sizeof *items) : NULL;
    if (!items) {
        free(kv);
        return GL_ERR_NOMEM;
    }
    c->items = items;
    c->items[c->n++] = kv;
    return GL_OK;
}

static int add(struct gl_kvconf *c, const char *k, size_t kl, const char *v, size_t vl)
{
    char *kv = malloc(kl + vl + 2);
    if (kv) {
        memcpy(kv, k, kl);
        kv[kl] = '=';
        memcpy(kv + kl + 1, v, vl);
        kv[kl + 1 + vl] = '\0';
    }
    return add_owned(c, kv);
}

static int parse(struct gl_kvconf *c, const char *path, const char *buf, size_t len,
                 struct gl_error *err)
{
    size_t line = 0;
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) { /* a UTF-8 BOM, as some editors write */
        buf += 3;
        len -= 3;
    }
    for (const char *p = buf, *end = buf + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p, *e = nl ? nl : end;
        p = nl ? nl + 1 : end;
        line++;
        trim(&s, &e);
        if (s == e || *s == '#')
            continue;
        const char *eq = memchr(s, '=', (size_t)(e - s));
        const char *ks = s, *ke = eq ? eq : e;
        trim(&ks, &ke);
        if (!eq || ks == ke)
            return gl_error_set(err, GL_ERR_INVALID, 0, "%s:%zu: expected key=value%s", path, line,
                                eq ? " (the key is empty)" : "");
        /* "sasl.password: s3cr=t" is a mistake whose 'key' holds half a
         * password: such a line is refused without being shown */
        if (!gl_kvconf_key_ok(ks, (size_t)(ke - ks)))
            return gl_error_set(err, GL_ERR_INVALID, 0,
                                "%s:%zu: the key has a character no setting name has (the line "
                                "is not shown: it may hold a secret)",
                                path, line);
        if (memchr(s, '\0', (size_t)(e - s)))
            return gl_error_set(err, GL_ERR_INVALID, 0, "%s:%zu: NUL byte in the line", path, line);
        const char *vs = eq + 1, *ve = e;
        trim(&vs, &ve);
        if (add(c, ks, (size_t)(ke - ks), vs, (size_t)(ve - vs)))
            return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    }
    return GL_OK;
}

int gl_kvconf_load(const char *path, struct gl_kvconf **out, struct gl_error *err)
{
    *out = NULL;
    /* non-blocking, so a FIFO is refused below instead of waiting for a writer */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return gl_error_set(err, GL_ERR_IO, errno, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return gl_error_set(err, GL_ERR_IO, 0, "%s: not a regular file", path);
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    }
    if (sb.st_size > KVCONF_MAX) {
        fclose(f);
        return gl_error_set(err, GL_ERR_INVALID, 0, "%s: over 1 MiB, not a settings file", path);
    }
    char *buf = malloc((size_t)sb.st_size + 1);
    struct gl_kvconf *c = calloc(1, sizeof *c);
    size_t len = buf ? fread(buf, 1, (size_t)sb.st_size, f) : 0;
    int rc = !buf || !c  ? gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory")
             : ferror(f) ? gl_error_set(err, GL_ERR_IO, errno, "%s: read error", path)
                         : GL_OK;
    fclose(f);
    if (!rc) {
        c->others_can_read = (sb.st_mode & (S_IRGRP | S_IROTH)) != 0;
        rc = parse(c, path, buf, len, err);
    }
    free(buf);
    if (rc) {
        gl_kvconf_free(c);
        return rc;
    }
    *out = c;
    return GL_OK;
}

int gl_kvconf_load_with(const char *path, const char *const *extra, size_t n_extra,
                        struct gl_kvconf **out, struct gl_error *err)
{
    int rc = gl_kvconf_load(path, out, err);
    for (size_t i = 0; !rc && i < n_extra; i++) /* as given: checked when applied */
        if (add_owned(*out, strdup(extra[i])))
            rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    if (rc) {
        gl_kvconf_free(*out);
        *out = NULL;
    }
    return rc;
}

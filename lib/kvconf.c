/* key=value settings files (include/grantline/kvconf.h). */
#include "grantline/kvconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static int add(struct gl_kvconf *c, const char *k, size_t kl, const char *v, size_t vl)
{
    char **items = realloc(c->items, (c->n + 1) * sizeof *items);
    if (!items)
        return GL_ERR_NOMEM;
    c->items = items;
    char *kv = malloc(kl + vl + 2);
    if (!kv)
        return GL_ERR_NOMEM;
    memcpy(kv, k, kl);
    kv[kl] = '=';
    memcpy(kv + kl + 1, v, vl);
    kv[kl + 1 + vl] = '\0';
    c->items[c->n++] = kv;
    return GL_OK;
}

static int parse(struct gl_kvconf *c, const char *path, const char *buf, size_t len,
                 struct gl_error *err)
{
    size_t line = 0;
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
    FILE *f = fopen(path, "rb");
    if (!f)
        return gl_error_set(err, GL_ERR_IO, errno, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return gl_error_set(err, GL_ERR_IO, 0, "%s: not a regular file", path);
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

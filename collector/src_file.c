/* NDJSON source for backfill and replay: one event per line, blank lines
 * skipped; a JSON document spread over lines (pretty-printed, as `jq .`
 * writes it) is read whole. The byte offset after each line is the stored
 * position, so a re-run of the same file resumes where the last one
 * committed. */
#include "source.h"

#include "grantline/log.h"
#include "grantline/tstamp.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool file_selected(const struct gl_source_cfg *cfg)
{
    return cfg->input != NULL;
}

static int file_check(const struct gl_source_cfg *cfg, struct gl_error *err)
{
    struct stat sb;
    if (strcmp(cfg->input, "-") == 0)
        return GL_OK;
    if (stat(cfg->input, &sb) != 0)
        return gl_error_set(err, GL_ERR_IO, errno, "input %s: %s", cfg->input, strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return gl_error_set(err, GL_ERR_IO, EISDIR, "input %s: is a directory", cfg->input);
    return GL_OK;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

/* Lines read from a descriptor and buffered here, not by stdio: a pipe can
 * then be waited on with a timeout, so a batch of a slow stream still
 * commits within its time bound, and a signal interrupts the wait. */
struct lines {
    int fd;
    char *buf;
    size_t start, len, cap; /* unread bytes: buf[start..len) */
    size_t scanned;         /* buf[start..scanned) holds no newline */
    size_t limit;           /* a line's bytes kept, beyond: counted only */
    size_t dropped;         /* of the line being read, not kept */
    bool eof;
};

enum { LINE_OK = 1, LINE_END = 0, LINE_ERROR = -1, LINE_WAIT = -2 };

/* The next line (with its newline, if any) in *line, *n; *dropped bytes of
 * it past r->limit were not kept (a line without end in sight must not take
 * the memory). LINE_WAIT when no whole line came within timeout_ms (-1:
 * wait as long as it takes) or a signal interrupted the wait; LINE_ERROR
 * with errno set. With 'no_read', only lines already buffered: LINE_END
 * when none is left (a partial line stays in the buffer). */
static int next_line(struct lines *r, int timeout_ms, bool no_read, char **line, size_t *n,
                     size_t *dropped)
{
    /* one deadline for the call: bytes that keep coming without a newline
     * must not hold a batch past its time */
    int64_t deadline = timeout_ms >= 0 ? gl_tstamp_now() + (int64_t)timeout_ms * 1000 : 0;
    for (;;) {
        char *nl = r->scanned < r->len ? memchr(r->buf + r->scanned, '\n', r->len - r->scanned)
                                       : NULL;
        if (nl || (r->eof && r->len > r->start)) {
            size_t end = nl ? (size_t)(nl - r->buf) + 1 : r->len;
            *line = r->buf + r->start;
            *n = end - r->start;
            *dropped = r->dropped;
            r->dropped = 0;
            r->start = r->scanned = end;
            return LINE_OK;
        }
        r->scanned = r->len;
        if (r->limit && r->len - r->start > r->limit) { /* no newline in what is past */
            r->dropped += r->len - r->start - r->limit;
            r->len = r->scanned = r->start + r->limit;
        }
        if (r->eof || no_read)
            return LINE_END;
        if (r->start > 0) { /* keep the partial line at the front */
            memmove(r->buf, r->buf + r->start, r->len - r->start);
            r->len -= r->start;
            r->scanned -= r->start;
            r->start = 0;
        }
        if (r->len == r->cap) {
            size_t nc = r->cap ? 2 * r->cap : 1 << 16;
            char *nb = realloc(r->buf, nc);
            if (!nb) {
                errno = ENOMEM;
                return LINE_ERROR;
            }
            r->buf = nb;
            r->cap = nc;
        }
        if (timeout_ms >= 0) {
            struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
            int64_t left = deadline - gl_tstamp_now();
            int ready = left > 0 ? poll(&pfd, 1, (int)((left + 999) / 1000)) : 0;
            if (ready == 0 || (ready < 0 && errno == EINTR))
                return LINE_WAIT;
            if (ready < 0)
                return LINE_ERROR;
        }
        ssize_t got = read(r->fd, r->buf + r->len, r->cap - r->len);
        if (got < 0 && errno == EINTR)
            return LINE_WAIT;
        if (got < 0)
            return LINE_ERROR;
        if (got == 0)
            r->eof = true;
        if (r->dropped && got > 0) {
            /* a cut line: what comes before its end is counted, not kept, so
             * the kept bytes stay one piece of the line (its start) */
            char *at = r->buf + r->len, *end = memchr(at, '\n', (size_t)got);
            size_t skip = end ? (size_t)(end - at) : (size_t)got;
            r->dropped += skip;
            memmove(at, at + skip, (size_t)got - skip);
            got -= (ssize_t)skip;
        }
        r->len += (size_t)got;
    }
}

/* 'len' without the blanks and line ends at the end of s. */
static size_t trim_end(const char *s, size_t len)
{
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
                   s[len - 1] == '\r'))
        len--;
    return len;
}

/* A JSON document spread over lines. Its first line starts with '{' or '['
 * and leaves a bracket open; it ends with the line that closes it. Some
 * lines end it early, unclosed (a line cut short, a writer that died), and
 * are then read as usual (see doc_breaks). So a cut line does not swallow
 * the lines after it, and an unindented document (indent=0) is still read
 * whole. */
struct doc {
    bool open;
    struct gl_buf buf;      /* its lines joined by '\n', at most 'limit' bytes */
    size_t total;           /* its length in the input */
    bool cut;               /* buf lacks some of it */
    unsigned lines;
    bool decided;           /* a line with content came after the first */
    bool bare;              /* the first line is only its bracket */
    bool indented;          /* that line is (before it: taken to be) */
    int64_t offset, lineno; /* of its first line */
    long depth;             /* brackets open at the end of what was added */
};

/* Brackets outside strings; a string cannot span lines in JSON, so each
 * line starts outside one (a line cut inside a string does not hide the
 * brackets of the lines after it). */
static void doc_scan(struct doc *d, const char *s, size_t n)
{
    bool in_str = false, esc = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            d->depth++;
        } else if (c == '}' || c == ']') {
            d->depth--;
        }
    }
}

/* Starts a document at a line of the input. */
static void doc_begin(struct doc *d, int64_t offset, int64_t lineno)
{
    gl_buf_reset(&d->buf);
    d->total = 0;
    d->cut = false;
    d->lines = 0;
    d->decided = false;
    d->indented = true;
    d->depth = 0;
    d->offset = offset;
    d->lineno = lineno;
}

/* Adds a line: 'len' bytes without its line end, 'n' bytes in the input,
 * 'cut' if the line reader kept only its start. At most 'limit' bytes are
 * kept (what is past it cannot change what becomes of the document). */
static int doc_add(struct doc *d, const char *line, size_t len, size_t n, bool cut, size_t limit)
{
    if (d->lines == 0)
        d->bare = trim_end(line, len) == 1 && !cut;
    else if (!d->decided && !blank(line, len)) {
        d->decided = true;
        d->indented = d->cut || !d->bare || line[0] == ' ' || line[0] == '\t';
    }
    d->lines++;
    doc_scan(d, line, len);
    d->total += n;
    d->cut |= cut;
    if (d->lines > 1 && gl_buf_append(&d->buf, "\n", d->buf.len < limit))
        return GL_ERR_NOMEM;
    size_t room = d->buf.len < limit ? limit - d->buf.len : 0;
    d->cut |= len > room;
    return gl_buf_append(&d->buf, line, len < room ? len : room);
}

/* Whether a line ends an open document early: a valid event on its own;
 * as the first line with content after the first, one starting with '{' or
 * '[', or, after a first line with more than its bracket (as an unindented
 * printer never writes it), one that neither is indented nor closes a
 * bracket; in an indented document (a pretty printer indents what is
 * inside), a line that neither is indented nor closes a bracket. */
static bool doc_breaks(const struct doc *d, const char *line, size_t len, bool valid)
{
    if (valid || blank(line, len))
        return valid;
    /* what no event starts with: indentation, a closing bracket, a comma
     * (the leading-comma style) */
    bool inner = line[0] == ' ' || line[0] == '\t' || line[0] == '}' || line[0] == ']' ||
                 line[0] == ',';
    if (!d->decided)
        return line[0] == '{' || line[0] == '[' || ((d->cut || !d->bare) && !inner);
    return d->indented && !inner;
}

/* Whether a line (without its newline) may start a document: cheap for the
 * usual line, a whole object ending in '}'. A line cut short may. */
static bool doc_starts(const char *line, size_t len, bool cut)
{
    if (!len || (line[0] != '{' && line[0] != '['))
        return false;
    len = trim_end(line, len);
    return cut || (line[len - 1] != '}' && line[len - 1] != ']');
}

/* A file is told apart from one that replaced it at the same path (log
 * rotation, a rewrite) by its bytes around what was read: SHA-256 of its
 * first min(pos, PRINT_BYTES) bytes and of the min(pos, PRINT_BYTES) bytes
 * before pos (they end with the newline of the last line read), 63 bits of
 * it, stored as the position of "<source>/#head" with the batch that stores
 * the file's position. A file being appended to keeps both; a rotated or
 * replaced one almost never does, even with the same first lines. */
#define PRINT_BYTES 4096

static bool read_at(int fd, unsigned char *buf, size_t want, int64_t at)
{
    size_t got = 0;
    while (got < want) {
        ssize_t r = pread(fd, buf + got, want - got, (off_t)(at + (int64_t)got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

static int64_t head_print(int fd, int64_t pos)
{
    unsigned char head[PRINT_BYTES], tail[PRINT_BYTES], md[32];
    size_t want = pos < PRINT_BYTES ? (size_t)pos : PRINT_BYTES;
    if (!read_at(fd, head, want, 0) || !read_at(fd, tail, want, pos - (int64_t)want))
        return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int mdlen = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(ctx, head, want) && EVP_DigestUpdate(ctx, tail, want) &&
             EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | md[i];
    return (int64_t)(v >> 1);
}

/* Hands the batch to the writer, with the head of the file it came from. */
static int flush_file(struct gl_pipeline *p, int fd, const char *head_key, int64_t pos,
                      struct gl_error *err)
{
    int64_t head = head_key && pos > 0 ? head_print(fd, pos) : -1;
    if (head >= 0) {
        int rc = gl_pipeline_position(p, head_key, head, err);
        if (rc)
            return rc;
    }
    return gl_pipeline_flush(p, err);
}

/* What file_run hands the pipeline each input with. */
struct feed {
    struct gl_pipeline *p;
    const char *input;  /* as given, for origins */
    const char *source; /* position key, NULL: read once */
    const char *stream; /* see gl_pipeline_at, NULL: read once */
    char origin[4300];
};

/* Hands over one input (a line, or a document of several) and the stored
 * position that follows it. */
static int feed_one(struct feed *f, const struct doc *d, int64_t pos, struct gl_error *err)
{
    gl_source_origin(f->origin, sizeof f->origin, "", f->input, ':', d->lineno, d->offset);
    struct gl_pipeline_at at = {
        .origin = f->origin,
        .stream = f->stream,
        .offset = d->offset,
        .pos_source = f->source,
        .pos_next = pos,
    };
    const char *buf = d->buf.data ? d->buf.data : "";
    size_t len = trim_end(buf, d->buf.len); /* blank lines after a document are no part of it */
    return d->cut ? gl_pipeline_ingest_cut(f->p, buf, len, d->total, &at, err)
                  : gl_pipeline_ingest(f->p, buf, len, &at, err);
}

static int file_run(const struct gl_source_cfg *cfg, struct gl_pipeline *p, struct gl_store *st,
                    volatile sig_atomic_t *stop, struct gl_error *err)
{
    bool is_stdin = strcmp(cfg->input, "-") == 0;
    int fd = STDIN_FILENO;
    /* opening a named pipe waits for its writer: a stop request ends that */
    while (!is_stdin && (fd = open(cfg->input, O_RDONLY | O_CLOEXEC)) < 0 && errno == EINTR &&
           !*stop)
        ;
    if (fd < 0 && errno == EINTR)
        return GL_OK;
    if (fd < 0)
        return gl_error_set(err, GL_ERR_IO, errno, "input %s: %s", cfg->input, strerror(errno));
    char source[4200];
    char *abs = is_stdin ? NULL : realpath(cfg->input, NULL);
    snprintf(source, sizeof source, "file/%s", abs ? abs : cfg->input);
    free(abs);
    char head_key[4210];
    /* "<path>/#head": no file can have that path, <path> being a file */
    snprintf(head_key, sizeof head_key, "%s/#head", source);

    /* line numbers are unknown after a resume (origins then give the byte) */
    int64_t offset = 0, lineno = 0;
    int rc = GL_OK;
    struct stat sb;
    bool regular = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
    /* a named regular file has positions; stdin (even redirected from a
     * file) and pipes are read once */
    bool resumable = regular && !is_stdin;
    if (resumable && !cfg->from_start) {
        int64_t pos = -1, head = -1;
        rc = gl_store_position(st, source, &pos, err);
        if (!rc)
            rc = gl_store_position(st, head_key, &head, err);
        if (rc)
            goto done;
        if (pos > 0 && regular && pos > (int64_t)sb.st_size) {
            gl_log(GL_LOG_WARN, "file",
                   "%s: %lld bytes, shorter than its stored position %lld (truncated or "
                   "replaced): reading it from the start (events stored before are "
                   "duplicates, not stored twice)",
                   cfg->input, (long long)sb.st_size, (long long)pos);
        } else if (pos > 0 && regular && head >= 0 && head_print(fd, pos) != head) {
            gl_log(GL_LOG_WARN, "file",
                   "%s: its bytes are not those of the file read up to byte %lld "
                   "(rotated or replaced): reading it from the start (events stored before "
                   "are duplicates, not stored twice)",
                   cfg->input, (long long)pos);
        } else if (pos > 0) {
            if (lseek(fd, (off_t)pos, SEEK_SET) == (off_t)pos) {
                offset = pos;
                lineno = -1;
                gl_log(GL_LOG_INFO, "file",
                       "%s: resuming at byte %lld (stored position; --from-start to reread)",
                       cfg->input, (long long)pos);
            } else {
                gl_log(GL_LOG_WARN, "file", "%s: cannot seek to stored position %lld: %s",
                       cfg->input, (long long)pos, strerror(errno));
            }
        }
    }
    size_t limit = gl_pipeline_keep(p);
    struct lines in = {.fd = fd, .limit = limit};
    /* a refused line read again is a repeat only in the same file: after a
     * rotation the same bytes at the same offset are new input */
    char stream[4250];
    snprintf(stream, sizeof stream, "%s#%llu", source, (unsigned long long)sb.st_ino);
    struct feed f = {.p = p,
                     .input = cfg->input,
                     .source = resumable ? source : NULL,
                     .stream = resumable ? stream : NULL};
    struct doc d = {0};
    /* A regular file is read at full speed: a batch's age (the clock) is
     * checked every 64 lines. A pipe is waited on for at most the time the
     * pending batch has left, and each line checks its age. */
    unsigned since_clock = 0, clock_every = regular ? 64 : 1;
    int64_t last_pos = 0; /* the position the filling batch stores */
    for (;;) {
        /* once stopped, the lines already read from the input still go in
         * (from a pipe they could not be read again), nothing more is read */
        bool stopping = *stop;
        int timeout = -1; /* a pipe: at most 1 s, so a stop request is seen */
        if (!regular) {
            int64_t due = gl_pipeline_due_in(p);
            timeout = due < 0 || due > 1000000 ? 1000 : (int)((due + 999) / 1000);
        }
        char *line;
        size_t n, dropped;
        int got = next_line(&in, timeout, stopping, &line, &n, &dropped);
        if (got == LINE_END)
            break;
        if (got == LINE_ERROR) {
            rc = gl_error_set(err, GL_ERR_IO, errno, "input %s: read: %s", cfg->input,
                              strerror(errno));
            break;
        }
        if (got == LINE_WAIT) { /* the batch's time is up, or a signal */
            if (gl_pipeline_due(p) &&
                (rc = flush_file(p, fd, resumable ? head_key : NULL, last_pos, err)) != GL_OK)
                break;
            gl_pipeline_progress(p, -1, false);
            continue;
        }
        if (lineno >= 0)
            lineno++;
        int64_t next = offset + (int64_t)(n + dropped);
        /* A last line without its newline may be one still being written:
         * when it is a valid event it is read, but the stored position stays
         * before it, so a later run reads it again (a repeat is a duplicate,
         * not stored); otherwise it is left for a later run, whole, rather
         * than quarantined as a fragment every time. The same holds for a
         * document that this line would close. */
        bool open_end = line[n - 1] != '\n';
        int64_t pos = open_end ? offset : next;
        size_t len = n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (offset == 0 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
            line += 3; /* a UTF-8 byte order mark (Windows editors) */
            len -= 3;
        }
        /* a line that starts anew ends an open document, unclosed */
        bool anew = d.open && doc_breaks(&d, line, len,
                                         !dropped && len && gl_pipeline_valid(p, line, len));
        if (anew) {
            d.open = false;
            if ((rc = feed_one(&f, &d, offset, err)) != GL_OK)
                break;
            last_pos = offset;
        }
        if (d.open) {
            if (doc_add(&d, line, len, n + dropped, dropped > 0, limit))
                goto nomem;
            offset = next;
            if (d.depth > 0 && !open_end)
                continue;
            if (open_end && resumable &&
                (d.cut || !gl_pipeline_valid(p, d.buf.data, d.buf.len))) {
                gl_log(GL_LOG_INFO, "file",
                       "%s: the JSON document from byte %lld has no end yet: left for a later "
                       "run",
                       cfg->input, (long long)d.offset);
                break;
            }
            int64_t dpos = open_end ? d.offset : next;
            d.open = false;
            if ((rc = feed_one(&f, &d, dpos, err)) != GL_OK)
                break;
            last_pos = dpos;
        } else {
            if (!dropped && blank(line, len)) {
                offset = next;
                continue;
            }
            if (!open_end && doc_starts(line, len, dropped > 0)) {
                doc_begin(&d, offset, lineno);
                if (doc_add(&d, line, len, n + dropped, dropped > 0, limit))
                    goto nomem;
                if (d.depth > 0) {
                    d.open = true;
                    offset = next;
                    continue;
                }
            }
            if (open_end && resumable && (dropped || !gl_pipeline_valid(p, line, len))) {
                gl_log(GL_LOG_INFO, "file",
                       "%s: the last line (%zu bytes from byte %lld) has no newline yet and is "
                       "not a valid event: left for a later run",
                       cfg->input, len, (long long)offset);
                break;
            }
            struct doc one = {.buf = {.data = line, .len = len}, .total = len + dropped,
                              .cut = dropped > 0, .offset = offset, .lineno = lineno};
            if ((rc = feed_one(&f, &one, pos, err)) != GL_OK)
                break;
            last_pos = pos;
            offset = next;
        }
        bool timed = ++since_clock >= clock_every; /* a full batch is seen at once */
        if (timed ? gl_pipeline_due(p) : gl_pipeline_full(p)) {
            rc = flush_file(p, fd, resumable ? head_key : NULL, last_pos, err);
            if (rc)
                break;
        }
        if (timed) {
            since_clock = 0;
            gl_pipeline_progress(p, -1, false);
        }
    }
    if (0) {
    nomem:
        rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    }
    if (!rc && d.open && !resumable) {
        /* a pipe's document that its end (or a stop) left open, with the
         * part of a line read after it: one input, refused whole */
        if (in.len > in.start) {
            size_t rest = in.len - in.start;
            if (doc_add(&d, in.buf + in.start, rest, rest, false, limit))
                rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
            in.start = in.len;
        }
        gl_source_origin(f.origin, sizeof f.origin, "", cfg->input, ':', d.lineno, d.offset);
        struct gl_pipeline_at at = {.origin = f.origin};
        if (!rc)
            rc = gl_pipeline_refuse(p, d.buf.data, d.buf.len, d.total, &at,
                                    "incomplete JSON document: the input ended (or the "
                                    "collector stopped) before its closing bracket",
                                    err);
    } else if (!rc && d.open && !d.decided && in.eof && !d.bare) {
        /* the file's last line, with its newline and more than a bracket:
         * most likely a line cut short, quarantined now; but the position
         * stays before it, so if a document goes on after it, a later run
         * reads the document whole (this line alone again is a repeat) */
        d.open = false;
        if ((rc = feed_one(&f, &d, d.offset, err)) == GL_OK)
            last_pos = d.offset;
    } else if (!rc && d.open) {
        gl_log(GL_LOG_INFO, "file",
               "%s: the JSON document from byte %lld is not closed yet: left for a later run",
               cfg->input, (long long)d.offset);
    }
    gl_buf_free(&d.buf);
    if (!rc && !resumable && in.len > in.start) {
        /* stopped mid-line on a pipe: the bytes read are kept, refused */
        gl_source_origin(f.origin, sizeof f.origin, "", cfg->input, ':',
                         lineno < 0 ? -1 : lineno + 1, offset);
        struct gl_pipeline_at at = {.origin = f.origin};
        size_t rest = in.len - in.start;
        rc = gl_pipeline_refuse(p, in.buf + in.start, rest, rest + in.dropped, &at,
                                "incomplete line: the collector stopped before its end came",
                                err);
    }
    free(in.buf);
    if (!rc)
        rc = flush_file(p, fd, resumable ? head_key : NULL, last_pos, err);
    if (!rc)
        rc = gl_pipeline_wait(p, err);
done:
    if (!is_stdin)
        close(fd);
    return rc;
}

const struct gl_source_ops gl_src_file = {
    .name = "file",
    .description = "NDJSON file or stdin (--input FILE|-)",
    .selected = file_selected,
    .check = file_check,
    .run = file_run,
};

/* NDJSON source for backfill and replay: one event per line, blank lines
 * skipped. The byte offset after each line is the stored position, so a
 * re-run of the same file resumes where the last one committed. */
#include "source.h"

#include "grantline/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool file_selected(const struct gl_source_cfg *cfg)
{
    return cfg->input != NULL;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

static int file_run(const struct gl_source_cfg *cfg, struct gl_pipeline *p, struct gl_store *st,
                    volatile sig_atomic_t *stop, struct gl_error *err)
{
    bool is_stdin = strcmp(cfg->input, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(cfg->input, "rb");
    if (!f)
        return gl_error_set(err, GL_ERR_IO, errno, "input %s: %s", cfg->input, strerror(errno));
    char source[4200];
    char *abs = is_stdin ? NULL : realpath(cfg->input, NULL);
    snprintf(source, sizeof source, "file/%s", abs ? abs : cfg->input);
    free(abs);

    int64_t offset = 0, lineno = 0;
    int rc = GL_OK;
    if (!is_stdin && !cfg->from_start) {
        int64_t pos = -1;
        rc = gl_store_position(st, source, &pos, err);
        if (rc)
            goto done;
        if (pos > 0) {
            if (fseeko(f, (off_t)pos, SEEK_SET) == 0) {
                offset = pos;
                gl_log(GL_LOG_INFO, "file",
                       "%s: resuming at byte %lld (stored position; --from-start to reread)",
                       cfg->input, (long long)pos);
            } else {
                gl_log(GL_LOG_WARN, "file", "%s: cannot seek to stored position %lld: %s",
                       cfg->input, (long long)pos, strerror(errno));
            }
        }
    }
    char *line = NULL;
    size_t cap = 0;
    char origin[4300];
    /* A regular file is read at full speed: a batch's age (the clock) is
     * checked every 64 lines. A pipe may bring a line a minute, so each
     * line checks it there (the batch time bound must hold). */
    struct stat sb;
    unsigned since_clock = 0,
             clock_every = fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) ? 64 : 1;
    for (;;) {
        if (*stop)
            break;
        ssize_t n = getline(&line, &cap, f);
        if (n < 0) {
            if (ferror(f))
                rc = gl_error_set(err, GL_ERR_IO, errno, "input %s: read: %s", cfg->input,
                                  strerror(errno));
            break;
        }
        lineno++;
        int64_t next = offset + n;
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (blank(line, len)) {
            offset = next;
            continue;
        }
        gl_source_origin(origin, sizeof origin, "", cfg->input, ':', lineno, offset);
        rc = gl_pipeline_ingest(p, line, len, origin, is_stdin ? NULL : source, next, err);
        if (rc)
            break;
        offset = next;
        bool timed = ++since_clock >= clock_every; /* a full batch is seen at once */
        if (timed ? gl_pipeline_due(p) : gl_pipeline_full(p)) {
            rc = gl_pipeline_flush(p, err);
            if (rc)
                break;
        }
        if (timed) {
            since_clock = 0;
            gl_pipeline_progress(p, -1, false);
        }
    }
    free(line);
    if (!rc)
        rc = gl_pipeline_flush(p, err);
    if (!rc)
        rc = gl_pipeline_wait(p, err);
done:
    if (!is_stdin)
        fclose(f);
    return rc;
}

const struct gl_source_ops gl_src_file = {
    .name = "file",
    .description = "NDJSON file or stdin (--input FILE|-)",
    .selected = file_selected,
    .run = file_run,
};

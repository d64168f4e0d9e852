/* Locating schemas/ at run time: data is loaded, never compiled in. */
#include "grantline/schemas.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether this process is the installed program: an installed service must
 * read the installed rules and mappings, never those of the source tree it
 * was built from (a checkout its builder may still change). */
static bool running_installed(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    return strncmp(exe, GL_INSTALL_BINDIR, strlen(GL_INSTALL_BINDIR)) == 0;
}

char *gl_schema_path(const char *name, char *out, size_t n)
{
    const char *env = getenv("GRANTLINE_SCHEMAS");
    if (env && *env) {
        snprintf(out, n, "%s/%s", env, name);
        return out;
    }
    if (!running_installed()) {
        snprintf(out, n, "%s/%s", GL_SOURCE_SCHEMAS, name);
        if (access(out, R_OK) == 0)
            return out;
    }
    snprintf(out, n, "%s/%s", GL_INSTALL_SCHEMAS, name);
    return out;
}

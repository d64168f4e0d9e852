/* Locating schemas/ at run time: data is loaded, never compiled in. */
#include "grantline/schemas.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

char *gl_schema_path(const char *name, char *out, size_t n)
{
    const char *env = getenv("GRANTLINE_SCHEMAS");
    if (env && *env) {
        snprintf(out, n, "%s/%s", env, name);
        return out;
    }
    snprintf(out, n, "%s/%s", GL_SOURCE_SCHEMAS, name);
    if (access(out, R_OK) == 0)
        return out;
    snprintf(out, n, "%s/%s", GL_INSTALL_SCHEMAS, name);
    return out;
}

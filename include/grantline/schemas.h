/* Where run-time data (schemas/: secret rules, policies, catalogs) is found. */
#ifndef GL_SCHEMAS_H
#define GL_SCHEMAS_H

#include <stddef.h>

/* Writes the path of data file 'name' into out[n]: $GRANTLINE_SCHEMAS/name if
 * set, else, for a program run from the build tree, the source tree's
 * schemas/ when it has the file, else the installed share/grantline/schemas/
 * (always, for the installed programs). Returns 'out'. */
char *gl_schema_path(const char *name, char *out, size_t n);

#endif

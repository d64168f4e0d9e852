/* Where run-time data (schemas/: secret rules, policies, catalogs) is found. */
#ifndef GL_SCHEMAS_H
#define GL_SCHEMAS_H

#include <stddef.h>

/* Writes the path of data file 'name' into out[n]: $GRANTLINE_SCHEMAS/name if
 * set, else the source tree's schemas/ (a build-tree run), else the installed
 * share/grantline/schemas/. Returns 'out'. */
char *gl_schema_path(const char *name, char *out, size_t n);

#endif

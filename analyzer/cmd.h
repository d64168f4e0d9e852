/* Analyzer subcommands: each is one function registered in main.c's table. */
#ifndef GL_ANALYZER_CMD_H
#define GL_ANALYZER_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes of every subcommand (DESIGN.md §5). */
enum {
    GL_EXIT_OK = 0,
    GL_EXIT_FINDINGS = 1,
    GL_EXIT_USAGE = 2,
    GL_EXIT_STORE = 3,
};

/* True when everything written to stdout reached it (a full disk, a closed
 * pipe); prints why otherwise. Data commands exit GL_EXIT_STORE when not. */
int gl_cmd_stdout_ok(void);

/* --store (repeatable) and --at, shared by the commands that analyze. */
#define GL_CMD_MAX_STORES 64
struct gl_store_args {
    const char *dirs[GL_CMD_MAX_STORES];
    size_t n_dirs;
    int64_t at;
    bool has_at;
};

/* Adds a --store DIR. Returns 0, or GL_EXIT_USAGE after saying why. */
int gl_store_args_add(struct gl_store_args *a, const char *dir, const char *cmd);
/* Parses --at TIME (RFC 3339). Returns 0, or GL_EXIT_USAGE after saying why. */
int gl_store_args_at(struct gl_store_args *a, const char *arg, const char *cmd);

struct gl_cmd {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
};

int gl_cmd_stats(int argc, char **argv);
int gl_cmd_quarantine(int argc, char **argv);
int gl_cmd_verify(int argc, char **argv);
int gl_cmd_events(int argc, char **argv);
int gl_cmd_findings(int argc, char **argv);
int gl_cmd_report(int argc, char **argv);
int gl_cmd_timeline(int argc, char **argv);
int gl_cmd_state(int argc, char **argv);

#endif

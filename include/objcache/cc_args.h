/* objcache/cc_args.h - clang driver options as objcache reads them: the one
 * table of options the launcher and direct mode share, and the parser that
 * says what a compile command writes when direct mode can serve it.
 *
 * Direct mode serves a compile without running clang, so it must know
 * every file the command would write: the object (-o, or the name clang
 * picks), the dependency file of -MD/-MMD with its targets. Anything it
 * cannot account for exactly (several inputs, response files, preprocessing
 * only, extra outputs such as -save-temps, modules, VFS overlays) is
 * refused with a short reason, and the command goes the plain plugin way.
 * Spellings come from clang 22's option table (Options.td). Nothing here
 * touches the cache directory; oc_cc_config_files_ok reads the clang
 * config files a command names. */
#ifndef OBJCACHE_CC_ARGS_H
#define OBJCACHE_CC_ARGS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the option table (lib/direct/cc_options.c) -------------------------------- */

/* Whether arg is an option whose value is the next argument (clang 22's
 * driver-visible Separate and JoinedOrSeparate options). */
bool oc_cc_option_separate(const char *arg);
/* The i-th of those options, NULL past the last (for tests). */
const char *oc_cc_option_separate_at(size_t i);
/* Whether arg makes the driver stop before code generation or not compile
 * at all (-E, -M, -fsyntax-only, --version, -###, ...). */
bool oc_cc_option_stops_early(const char *arg);
/* The canonical spelling of arg: an alias's target (--output -> -o,
 * --write-dependencies -> -MD, --compile -> -c, ...), else arg itself. */
const char *oc_cc_option_canonical(const char *arg);
/* Whether direct mode refuses arg (in its own spelling or, for `--name`, as
 * `-name`): other outputs, other driver modes, options that hide options. */
bool oc_cc_option_refused(const char *arg);
/* -MD, -MMD, -MP, -MF, -MT, -MQ: the -M options that only shape the .d. */
bool oc_cc_option_dependency(const char *arg);
/* 1 when arg settles colour whatever stderr is, 0 for -fdiagnostics-color=
 * with another value (auto), -1 when arg is not about colour. */
int oc_cc_option_color(const char *arg);

/* ---- what a compile command writes (lib/direct/cc_args.c) ---------------------- */

#define OC_CC_MAX_TARGETS 16
typedef struct {
  const char *input;      /* the one source file, as given */
  char output[PATH_MAX];  /* -o, or the name clang would pick */
  bool assembly;          /* -S */
  bool has_depfile;       /* -MD or -MMD */
  bool dep_system;        /* the last of them is -MD: system headers too */
  bool dep_phony;         /* -MP */
  char depfile[PATH_MAX]; /* -MF, or the name clang would pick */
  /* The .d targets as clang's cc1 gets them (-MT as given, -MQ and the
   * default target quoted): oc_cc_args_target(args, i). */
  size_t target_count;
  size_t target_at[OC_CC_MAX_TARGETS];
  size_t target_used;
  char target_text[2 * PATH_MAX];
  bool color_option; /* the command settles colour (not =auto) */
  /* Where the output names are in the arguments, so that the direct key
   * can leave them out: the element holding -o's (or -MF's) value and how
   * many characters of it come before the value (2 for "-ofoo", 0 when
   * the value is its own argument). NULL when not given. */
  char **output_arg;
  size_t output_skip;
  char **depfile_arg;
  size_t depfile_skip;
  char **target_arg[OC_CC_MAX_TARGETS]; /* the same for -MT and -MQ */
  size_t target_skip[OC_CC_MAX_TARGETS];
  size_t target_arg_count;
  const char *why; /* when refused: a short reason */
} oc_cc_args;

/* args: the compiler's arguments (without its name), NULL-terminated.
 * false with out->why set when direct mode must leave the command alone. */
bool oc_cc_args_parse(char **args, oc_cc_args *out);
/* The i-th .d target, i < args->target_count. */
const char *oc_cc_args_target(const oc_cc_args *args, size_t i);

/* Whether the --config files of args (read, with the files they include)
 * hold only options direct mode handles; false with a reason otherwise. */
bool oc_cc_config_files_ok(char **args, const char **why);

#ifdef __cplusplus
}
#endif

#endif

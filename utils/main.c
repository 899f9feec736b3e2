/* main.c - the objcache command's entry point: `objcache COMPILER ARGS...`
 * launches a compile, `objcache -OPTION...` manages the cache.
 *
 * Every option is checked before any of them runs, so a typo such as
 * `-M banana` or `--zero-stast` leaves the cache untouched. Options run in
 * the order given (`objcache -z -s` zeroes, then shows). */
#include "objcache/status.h"
#include "objcache/version.h"
#include "tool.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "Usage: objcache COMPILER [COMPILER ARGS...]\n"
    "       objcache OPTION...\n"
    "\n"
    "Launcher: runs COMPILER (any clang 22, found through PATH) with the\n"
    "objcache plugin when the command compiles, unchanged otherwise. Use\n"
    "it as CC=\"objcache clang-22\" or CMAKE_C_COMPILER_LAUNCHER=objcache.\n"
    "\n"
    "Options:\n"
    "  -s, --show-stats     show statistics for people\n"
    "      --print-stats    print statistics as name<TAB>value lines\n"
    "      --format FORMAT  --print-stats and --show-misses as tab (the\n"
    "                       default) or json\n"
    "  -z, --zero-stats     zero the statistics\n"
    "  -C, --clear          remove every cached object\n"
    "  -c, --cleanup        evict down to the size limit, remove stale files\n"
    "  -M, --max-size SIZE  set max_size in objcache.conf (e.g. 500M, 10G)\n"
    "  -p, --show-config    show every setting and where it came from\n"
    "      --explain FILE.o say what changed between the last two compiles\n"
    "                       of FILE.o\n"
    "      --show-misses    how many compiles missed since -z, and why\n"
    "      --print-plugin   print the path of the plugin for -fpass-plugin=\n"
    "  -V, --version        print the version\n"
    "  -h, --help           print this help\n"
    "\n"
    "Settings come from OBJCACHE_* variables, then <cache dir>/objcache.conf;\n"
    "the cache dir is $OBJCACHE_DIR, else ~/.cache/objcache.\n"
    "Started as clang-22, clang++-22, clang or clang++ (a link in\n"
    "<prefix>/lib/objcache/bin, put first on PATH), objcache is the launcher\n"
    "for the compiler of that name further down PATH. See man objcache.\n";

enum action_kind {
  ACT_SHOW_STATS,
  ACT_PRINT_STATS,
  ACT_ZERO_STATS,
  ACT_CLEAR,
  ACT_CLEANUP,
  ACT_MAX_SIZE,
  ACT_SHOW_CONFIG,
  ACT_EXPLAIN,
  ACT_SHOW_MISSES,
  ACT_PRINT_PLUGIN,
  ACT_VERSION,
  ACT_HELP,
};

/* Long-only options get codes past the range of short option letters. */
enum {
  OPT_PRINT_STATS = 256,
  OPT_EXPLAIN,
  OPT_PRINT_PLUGIN,
  OPT_FORMAT,
  OPT_SHOW_MISSES
};

static const struct option long_options[] = {
    {"show-stats", no_argument, NULL, 's'},
    {"print-stats", no_argument, NULL, OPT_PRINT_STATS},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"zero-stats", no_argument, NULL, 'z'},
    {"clear", no_argument, NULL, 'C'},
    {"cleanup", no_argument, NULL, 'c'},
    {"max-size", required_argument, NULL, 'M'},
    {"show-config", no_argument, NULL, 'p'},
    {"explain", required_argument, NULL, OPT_EXPLAIN},
    {"print-plugin", no_argument, NULL, OPT_PRINT_PLUGIN},
    {"show-misses", no_argument, NULL, OPT_SHOW_MISSES},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"version", no_argument, NULL, 'V'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
  enum action_kind kind;
  const char *arg;
} action;

static int bad_usage(const char *message, const char *what) {
  fprintf(stderr, "objcache: %s'%s' (see objcache --help)\n", message, what);
  return TOOL_USAGE;
}

/* Loads the configuration for management commands: a bad setting is the
 * user's to fix, so it stops the command with exit 2. */
static int load_config(oc_config *cfg) {
  oc_error err = {0};
  oc_status status = oc_config_load(cfg, &err);
  if (cfg->warning[0])
    fprintf(stderr, "objcache: warning: %s\n", cfg->warning);
  if (status == OC_OK)
    return TOOL_OK;
  fprintf(stderr, "objcache: %s\n", err.message);
  return status == OC_BAD_CONFIG ? TOOL_USAGE : TOOL_FAILED;
}

static bool needs_config(enum action_kind kind) {
  return kind != ACT_PRINT_PLUGIN && kind != ACT_VERSION && kind != ACT_HELP;
}

/* --format applies to every --print-stats and --show-misses of the command
 * line, wherever it stands (`--format=json --print-stats` and the
 * reverse); the last wins. */
static bool format_json;

static int run(const action *act, oc_config *cfg) {
  switch (act->kind) {
  case ACT_SHOW_STATS:
    return tool_show_stats(cfg);
  case ACT_PRINT_STATS:
    return tool_print_stats(cfg, format_json);
  case ACT_ZERO_STATS:
    return tool_zero_stats(cfg);
  case ACT_CLEAR:
    return tool_clear(cfg);
  case ACT_CLEANUP:
    return tool_cleanup(cfg);
  case ACT_SHOW_CONFIG:
    return tool_show_config(cfg);
  case ACT_EXPLAIN:
    return tool_explain(cfg, act->arg);
  case ACT_SHOW_MISSES:
    return tool_show_misses(cfg, format_json);
  case ACT_PRINT_PLUGIN:
    return tool_print_plugin();
  case ACT_MAX_SIZE: {
    int rc = tool_set_max_size(cfg, act->arg);
    /* Later options (-M 1G -s) must see the new limit. */
    return rc == TOOL_OK ? load_config(cfg) : rc;
  }
  case ACT_VERSION:
    printf("objcache %s (commit %s)\n", OC_VERSION, OC_GIT_COMMIT);
    return TOOL_OK;
  case ACT_HELP:
    fputs(usage, stdout);
    return TOOL_OK;
  }
  return TOOL_FAILED;
}

int main(int argc, char **argv) {
  /* Started through a link named like a compiler (clang-22 -> objcache):
   * the launcher for that compiler, arguments and all. As with ccache, any
   * name starting with "objcache" is the tool itself. */
  const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
  base = base ? base + 1 : argc > 0 ? argv[0] : "objcache";
  if (strncmp(base, "objcache", 8) != 0 && base[0])
    return tool_masquerade(argv);
  if (argc < 2) {
    fputs(usage, stderr);
    return TOOL_USAGE;
  }
  /* Anything not starting with '-' is a compiler: the launcher path, which
   * must stay cheap, so it is decided before any option machinery. */
  if (argv[1][0] != '-')
    return tool_launch(argv + 1);

  action actions[64];
  size_t count = 0;
  opterr = 0; /* getopt's own messages are not ours; see bad_usage */
  for (;;) {
    int current = optind; /* the argument getopt is about to look at */
    int opt = getopt_long(argc, argv, "+:szCcM:pVh", long_options, NULL);
    if (opt == -1)
      break;
    /* How the user spelled a bad option: a long one is the whole argument,
     * a short one may sit inside a group such as -zx. */
    char short_spelled[3] = {'-', (char)optopt, '\0'};
    const char *spelled =
        strncmp(argv[current], "--", 2) == 0 ? argv[current] : short_spelled;
    action act = {.arg = optarg};
    switch (opt) {
    case 's':
      act.kind = ACT_SHOW_STATS;
      break;
    case OPT_PRINT_STATS:
      act.kind = ACT_PRINT_STATS;
      break;
    case 'z':
      act.kind = ACT_ZERO_STATS;
      break;
    case 'C':
      act.kind = ACT_CLEAR;
      break;
    case 'c':
      act.kind = ACT_CLEANUP;
      break;
    case 'p':
      act.kind = ACT_SHOW_CONFIG;
      break;
    case OPT_EXPLAIN:
      act.kind = ACT_EXPLAIN;
      break;
    case OPT_PRINT_PLUGIN:
      act.kind = ACT_PRINT_PLUGIN;
      break;
    case OPT_SHOW_MISSES:
      act.kind = ACT_SHOW_MISSES;
      break;
    case OPT_FORMAT:
      if (strcmp(optarg, "json") != 0 && strcmp(optarg, "tab") != 0) {
        fprintf(stderr,
                "objcache: invalid format '%s' for --format: use tab or "
                "json\n",
                optarg);
        return TOOL_USAGE;
      }
      format_json = strcmp(optarg, "json") == 0;
      continue; /* a setting, not an action */
    case 'V':
      act.kind = ACT_VERSION;
      break;
    case 'h':
      act.kind = ACT_HELP;
      break;
    case 'M': {
      uint64_t bytes;
      if (!oc_parse_size(optarg, &bytes)) {
        fprintf(stderr,
                "objcache: invalid size '%s' for --max-size: use a number of "
                "bytes with an optional K, M, G or T suffix, e.g. 500M or "
                "10G\n",
                optarg);
        return TOOL_USAGE;
      }
      act.kind = ACT_MAX_SIZE;
      break;
    }
    case ':':
      return bad_usage("missing argument for ", spelled);
    default:
      return bad_usage("unknown option ", spelled);
    }
    if (count == sizeof actions / sizeof actions[0])
      return bad_usage("too many options, from ", argv[current]);
    actions[count++] = act;
  }
  if (optind < argc)
    return bad_usage("unexpected argument ", argv[optind]);

  oc_config cfg;
  bool loaded = false;
  for (size_t i = 0; i < count; i++) {
    if (needs_config(actions[i].kind) && !loaded) {
      int rc = load_config(&cfg);
      if (rc != TOOL_OK)
        return rc;
      loaded = true;
    }
    int rc = run(&actions[i], &cfg);
    if (rc != TOOL_OK)
      return rc;
  }
  return TOOL_OK;
}

/* cc_args.c - what a compile command writes, when direct mode can handle
 * it, read from its arguments with the option table of cc_options.c.
 *
 * Direct mode serves a compile without running clang, so it must know
 * every file the command would write: the object (-o, or the name clang
 * picks), the dependency file of -MD/-MMD with its targets, and the side
 * outputs the plugin records (.dwo, .gcno, .su, optimization records).
 * Anything it cannot account for exactly (several inputs, response files,
 * preprocessing only, extra outputs such as -save-temps,
 * modules, VFS overlays, an option it does not know that takes a separate
 * value) is refused with a reason, and the command goes the plain plugin
 * way. What this file computes is checked afterwards against what clang
 * itself used (the plugin records its real output paths and .d targets):
 * a reading that differs is never recorded, so a gap here costs hits, not
 * exactness. */
#include "objcache/cc_args.h"

#include "objcache/buffer.h"
#include "objcache/replay.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* `dir/name.ext` -> `name<ext>` (in the working directory), as clang names
 * the output of `-c dir/name.ext` without -o. */
static bool replace_extension(const char *path, bool strip_dir, const char *ext,
                              char *out, size_t size) {
  const char *base =
      strip_dir && strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  const char *slash = strrchr(base, '/');
  const char *dot = strrchr(base, '.');
  size_t stem = dot && (!slash || dot > slash) && dot != base && dot[-1] != '/'
                    ? (size_t)(dot - base)
                    : strlen(base);
  int n = snprintf(out, size, "%.*s%s", (int)stem, base, ext);
  return n > 0 && (size_t)n < size;
}

static bool refuse(oc_cc_args *out, const char *why) {
  out->why = why;
  return false;
}

/* Appends one .d target (already quoted as cc1 receives it). */
static bool add_target(oc_cc_args *out, const char *target, bool quote) {
  if (out->target_count == OC_CC_MAX_TARGETS)
    return false;
  oc_buffer quoted = {0};
  if (quote && oc_depfile_quote_target(target, &quoted) != OC_OK) {
    oc_buffer_free(&quoted);
    return false;
  }
  const char *text = quote ? (const char *)quoted.data : target;
  size_t len = quote ? quoted.size : strlen(target);
  size_t at = out->target_used;
  bool fits = at + len + 1 <= sizeof out->target_text;
  if (fits) {
    if (len) /* quoted.data is NULL for an empty target */
      memcpy(out->target_text + at, text, len);
    out->target_text[at + len] = '\0';
    out->target_at[out->target_count++] = at;
    out->target_used = at + len + 1;
  }
  oc_buffer_free(&quoted);
  return fits;
}

const char *oc_cc_args_target(const oc_cc_args *args, size_t i) {
  return args->target_text + args->target_at[i];
}

bool oc_cc_args_parse(char **args, oc_cc_args *out) {
  memset(out, 0, sizeof *out);
  const char *output = NULL, *depfile = NULL;
  bool compile = false, assemble_only = false, deps = false, targets = false;
  bool emit_llvm = false;
  size_t inputs = 0;
  for (size_t i = 0; args[i]; i++) {
    const char *arg = args[i];
    if (arg[0] == '@')
      return refuse(out, "response file");
    if (arg[0] != '-' || strcmp(arg, "-") == 0) {
      if (strcmp(arg, "-") == 0)
        return refuse(out, "input from stdin");
      out->input = arg;
      inputs++;
      continue;
    }
    const char *joined = NULL; /* the value of --output=X */
    if (strncmp(arg, "--output=", 9) == 0)
      joined = arg + 9, arg = "-o";
    arg = oc_cc_option_canonical(arg);
    if (strcmp(arg, "-c") == 0) {
      compile = true;
    } else if (strcmp(arg, "-S") == 0) {
      assemble_only = true;
    } else if (strcmp(arg, "-emit-llvm") == 0) {
      emit_llvm = true; /* the default output is .bc (-c) or .ll (-S) */
    } else if (strcmp(arg, "-MD") == 0 || strcmp(arg, "-MMD") == 0) {
      /* The last one says whether system headers are listed. */
      deps = true;
      out->dep_system = arg[2] == 'D';
    } else if ((strncmp(arg, "-o", 2) == 0 && strncmp(arg, "-ob", 3) != 0) ||
               strncmp(arg, "-MF", 3) == 0 || strncmp(arg, "-MT", 3) == 0 ||
               strncmp(arg, "-MQ", 3) == 0) {
      bool is_o = arg[1] == 'o';
      const char *value = joined ? joined : arg + (is_o ? 2 : 3);
      /* Where the value is, for the direct key to leave out. */
      char **holder = &args[i];
      size_t skip = joined ? 9 : (size_t)(is_o ? 2 : 3);
      if (!joined && !*value) {
        value = args[i + 1];
        if (!value)
          return refuse(out, "option without its value");
        i++;
        holder = &args[i];
        skip = 0;
      } else if (!joined && args[i] != arg) {
        /* An alias spelling with the value joined: keep it in the key. */
        holder = NULL;
      }
      if (is_o) {
        output = value;
        out->output_arg = holder;
        out->output_skip = skip;
      } else if (arg[2] == 'F') {
        depfile = value;
        out->depfile_arg = holder;
        out->depfile_skip = skip;
      } else {
        targets = true;
        if (!add_target(out, value, arg[2] == 'Q'))
          return refuse(out, "too many dependency targets");
        /* The .d is generated for this command's targets on a hit: their
         * names leave the direct key too (builds name them after -o). */
        out->target_arg[out->target_arg_count] = holder;
        out->target_skip[out->target_arg_count++] = skip;
      }
    } else if (strcmp(arg, "-MP") == 0) {
      out->dep_phony = true;
    } else if (oc_cc_option_color(arg) >= 0) {
      out->color_option = oc_cc_option_color(arg) == 1;
    } else if (oc_cc_option_dependency(arg)) {
      /* nothing else to note */
    } else if (oc_cc_option_refused(arg)) {
      return refuse(out, "an option direct mode does not handle");
    } else if (strcmp(arg, "--config") == 0 ||
               strncmp(arg, "--config=", 9) == 0) {
      /* Its options are the plugin's to report (the key has the file). */
      if (!arg[8] && !args[++i])
        return refuse(out, "option without its value");
    } else if (oc_cc_option_separate(arg)) {
      if (!args[++i])
        return refuse(out, "option without its value");
    }
  }
  if (!compile && !assemble_only)
    return refuse(out, "not a compile");
  if (inputs != 1)
    return refuse(out, inputs ? "several inputs" : "no input");
  if (output && strcmp(output, "-") == 0)
    return refuse(out, "output to stdout");
  if (depfile && strcmp(depfile, "-") == 0)
    return refuse(out, "dependency file to stdout");
  /* -S wins over -c in clang: the output is assembly either way. */
  out->assembly = assemble_only;
  if (output)
    snprintf(out->output, sizeof out->output, "%s", output);
  else if (!replace_extension(out->input, true,
                              emit_llvm ? (out->assembly ? ".ll" : ".bc")
                                        : (out->assembly ? ".s" : ".o"),
                              out->output, sizeof out->output))
    return refuse(out, "path too long");
  out->has_depfile = deps;
  if (!deps)
    return true;
  if (depfile)
    snprintf(out->depfile, sizeof out->depfile, "%s", depfile);
  else if (output ? !replace_extension(output, false, ".d", out->depfile,
                                       sizeof out->depfile)
                  : !replace_extension(out->input, true, ".d", out->depfile,
                                       sizeof out->depfile))
    return refuse(out, "path too long");
  /* clang's driver: without -MT/-MQ the target is the -o value as given,
   * else the input's base name with .o (even for -S), quoted as -MQ. */
  if (!targets) {
    char fallback[PATH_MAX];
    if (!output &&
        !replace_extension(out->input, true, ".o", fallback, sizeof fallback))
      return refuse(out, "path too long");
    if (!add_target(out, output ? output : fallback, true))
      return refuse(out, "dependency target too long");
  }
  return true;
}

/* ---- config files -------------------------------------------------------- */

/* Splits config text the way clang reads config files: lines starting
 * with '#' are comments, a backslash before a newline joins lines, words
 * are separated by whitespace with GNU quoting. Each word goes to `check`;
 * false as soon as one is refused. */
static bool config_words_ok(char *text, const char *dir, int depth,
                            const char **why);

static bool config_file_ok(const char *path, int depth, const char **why) {
  if (depth > 4)
    return (*why = "config files nested too deep"), false;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return (*why = "unreadable config file"), false;
  static char texts[5][1 << 16];
  char *text = texts[depth];
  ssize_t len = read(fd, text, sizeof texts[0] - 1);
  char extra;
  bool whole = len >= 0 && read(fd, &extra, 1) == 0;
  close(fd);
  if (!whole)
    return (*why = "config file too large"), false;
  text[len] = '\0';
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash)
    *slash = '\0';
  else
    snprintf(dir, sizeof dir, ".");
  return config_words_ok(text, dir, depth, why);
}

static bool config_word_ok(const char *word, const char *dir, int depth,
                           const char **why) {
  if (word[0] == '@') {
    char nested[2 * PATH_MAX];
    snprintf(nested, sizeof nested, "%s%s%s", word[1] == '/' ? "" : dir,
             word[1] == '/' ? "" : "/", word + 1);
    return config_file_ok(nested, depth + 1, why);
  }
  if (strstr(word, "<CFGDIR>"))
    return (*why = "<CFGDIR> in a config file"), false;
  const char *arg =
      strncmp(word, "--output=", 9) == 0 ? "-o" : oc_cc_option_canonical(word);
  if (arg[0] != '-' || oc_cc_option_dependency(arg) ||
      !oc_cc_option_refused(arg))
    return true;
  *why = "a config file holds an option direct mode does not handle";
  return false;
}

static bool config_words_ok(char *text, const char *dir, int depth,
                            const char **why) {
  char word[8192];
  size_t len = 0;
  char quote = 0;
  bool line_start = true, in_word = false;
  for (char *p = text;; p++) {
    if (line_start && !quote) {
      while (*p == ' ' || *p == '\t')
        p++;
      if (*p == '#') {
        while (*p && *p != '\n')
          p++;
      }
      line_start = false;
    }
    char c = *p;
    if (c == '\\' && p[1] == '\n') { /* a continued line */
      p++;
      continue;
    }
    bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (!c || (space && !quote)) {
      if (in_word) {
        word[len] = '\0';
        if (!config_word_ok(word, dir, depth, why))
          return false;
      }
      in_word = false;
      len = 0;
      if (!c)
        return true;
      line_start = c == '\n';
      continue;
    }
    in_word = true;
    if (len + 2 >= sizeof word)
      return (*why = "config file word too long"), false;
    if (c == '\\' && p[1] && quote != '\'')
      word[len++] = *++p;
    else if (!quote && (c == '"' || c == '\''))
      quote = c;
    else if (quote && c == quote)
      quote = 0;
    else
      word[len++] = c;
  }
}

bool oc_cc_config_files_ok(char **args, const char **why) {
  for (size_t i = 0; args[i]; i++) {
    const char *value = NULL;
    if (strcmp(args[i], "--config") == 0)
      value = args[++i];
    else if (strncmp(args[i], "--config=", 9) == 0)
      value = args[i] + 9;
    if (!value)
      continue;
    /* A bare name is searched for in the driver's config directories:
     * direct mode does not read it. */
    if (!strchr(value, '/'))
      return (*why = "a config file named without a path"), false;
    if (!config_file_ok(value, 0, why))
      return false;
  }
  return true;
}

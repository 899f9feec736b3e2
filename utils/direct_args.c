/* direct_args.c - which compile commands direct mode handles, and what
 * they write.
 *
 * Direct mode serves a compile without running clang, so it must know
 * every file the command would write: the object (-o, or the name clang
 * picks), and the dependency file of -MD/-MMD. Anything it cannot account
 * for exactly (several inputs, response files, preprocessing only, extra
 * outputs such as -save-temps or split DWARF, modules, VFS overlays, an
 * option it does not know that takes a separate value) is refused with a
 * reason, and the command goes the plain plugin way. */
#include "tool.h"

#include <stdio.h>
#include <string.h>

/* clang-format off */
/* Options whose value is the next argument. An option missing here makes
 * its value look like a second input, which is refused: safe. */
static const char *const separate_value[] = {
    "-o", "-x", "-MF", "-MT", "-MQ", "-I", "-D", "-U", "-include", "-imacros",
    "-isystem", "-idirafter", "-iquote", "-isysroot", "-iprefix",
    "-iwithprefix", "-iwithprefixbefore", "-iframework", "-isystem-after",
    "-F", "-B", "-mllvm", "-target", "-arch", "-L", "-z", "--param",
    "--sysroot", "-Xlinker", "-Xassembler", "--config",
};

/* Prefixes of options direct mode does not handle. */
static const char *const refused_prefix[] = {
    "-E", "-M", "-fsyntax-only", "-save-temps", "-emit-", "-flto",
    "-gsplit-dwarf", "--coverage", "-ftest-coverage", "-fprofile-arcs",
    "-ftime-trace", "-ftime-report", "-fsave-optimization-record",
    "-foptimization-record-file", "-fstack-usage", "-Xclang", "-Xarch",
    "-Xpreprocessor", "-Xcuda", "-Xopenmp", "-Wp,", "-ivfsoverlay",
    "-working-directory", "--config-system-dir", "--config-user-dir",
    "-fmodule", "-fcxx-modules", "-fimplicit-module", "-fplugin",
    "-fpass-plugin", "-include-pch", "-ccc-", "-###", "--precompile",
    "-fdepfile-entry", "-fdriver-only", "-dependency-", "-ob",
};
/* clang-format on */

/* -MD, -MMD and the options that only shape the dependency file are fine;
 * every other -M option (-M, -MM, -MG, -MJ) is not. */
static bool dependency_option(const char *arg) {
  return strcmp(arg, "-MD") == 0 || strcmp(arg, "-MMD") == 0 ||
         strcmp(arg, "-MP") == 0 || strncmp(arg, "-MF", 3) == 0 ||
         strncmp(arg, "-MT", 3) == 0 || strncmp(arg, "-MQ", 3) == 0 ||
         strcmp(arg, "-MV") == 0;
}

static bool in_list(const char *arg, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(arg, list[i]) == 0)
      return true;
  return false;
}

static bool has_prefix(const char *arg, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strncmp(arg, list[i], strlen(list[i])) == 0)
      return true;
  return false;
}

#define COUNT(list) (sizeof list / sizeof list[0])

/* An option that settles colour whatever stderr is. The last one wins in
 * clang, and "=auto" leaves it to the terminal again. */
static int color_choice(const char *arg) {
  if (strcmp(arg, "-fcolor-diagnostics") == 0 ||
      strcmp(arg, "-fdiagnostics-color") == 0 ||
      strcmp(arg, "-fdiagnostics-color=always") == 0 ||
      strcmp(arg, "-fno-color-diagnostics") == 0 ||
      strcmp(arg, "-fno-diagnostics-color") == 0 ||
      strcmp(arg, "-fdiagnostics-color=never") == 0)
    return 1;
  if (strncmp(arg, "-fdiagnostics-color=", 20) == 0)
    return 0; /* auto, or a value clang will reject anyway */
  return -1;
}

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

static bool refuse(direct_args *out, const char *why) {
  out->why = why;
  return false;
}

bool tool_direct_parse(char **args, direct_args *out) {
  memset(out, 0, sizeof *out);
  const char *output = NULL, *depfile = NULL;
  bool compile = false, assemble_only = false, deps = false;
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
    if (strcmp(arg, "-c") == 0) {
      compile = true;
    } else if (strcmp(arg, "-S") == 0) {
      assemble_only = true;
    } else if (strcmp(arg, "-MD") == 0 || strcmp(arg, "-MMD") == 0) {
      deps = true;
    } else if ((strncmp(arg, "-o", 2) == 0 && strncmp(arg, "-ob", 3) != 0) ||
               strncmp(arg, "-MF", 3) == 0) {
      bool is_o = arg[1] == 'o';
      const char *value = arg + (is_o ? 2 : 3);
      char **holder = &args[i];
      size_t skip = is_o ? 2 : 3;
      if (!*value) {
        value = args[i + 1];
        if (!value)
          return refuse(out, "option without its value");
        i++;
        holder = &args[i];
        skip = 0;
      }
      if (is_o) {
        output = value;
        out->output_arg = holder;
        out->output_skip = skip;
      } else {
        depfile = value;
        out->depfile_arg = holder;
        out->depfile_skip = skip;
      }
    } else if (color_choice(arg) >= 0) {
      out->color_option = color_choice(arg) == 1;
    } else if (dependency_option(arg)) {
      if (strncmp(arg, "-MT", 3) == 0 || strncmp(arg, "-MQ", 3) == 0)
        out->explicit_target = true;
      if ((strcmp(arg, "-MT") == 0 || strcmp(arg, "-MQ") == 0) && !args[++i])
        return refuse(out, "option without its value");
    } else if (has_prefix(arg, refused_prefix, COUNT(refused_prefix))) {
      return refuse(out, "an option direct mode does not handle");
    } else if (in_list(arg, separate_value, COUNT(separate_value))) {
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
  else if (!replace_extension(out->input, true, out->assembly ? ".s" : ".o",
                              out->output, sizeof out->output))
    return refuse(out, "path too long");
  out->has_depfile = deps;
  if (deps) {
    if (depfile)
      snprintf(out->depfile, sizeof out->depfile, "%s", depfile);
    else if (output ? !replace_extension(output, false, ".d", out->depfile,
                                         sizeof out->depfile)
                    : !replace_extension(out->input, true, ".d", out->depfile,
                                         sizeof out->depfile))
      return refuse(out, "path too long");
  }
  return true;
}

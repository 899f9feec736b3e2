/* cc_options.c - the one table of clang driver options objcache reads,
 * shared by the launcher (which options take a value, which stop before
 * code generation) and direct mode (aliases, refused options, colour).
 *
 * Spellings come from clang 22's option table (Options.td): the driver
 * takes `--output`, `--output=`, `--write-dependencies` and the other
 * aliases below, and most single-dash options also with two dashes. A gap
 * here is safe: an unknown option that takes a separate value makes the
 * value look like a second input, which direct mode refuses; what direct
 * mode computes is checked afterwards against what clang itself used. */
#include "objcache/cc_args.h"

#include <string.h>

/* clang-format off */
/* Options whose value is the next argument (driver-visible Separate and
 * JoinedOrSeparate options of clang 22). An option missing here makes its
 * value look like a second input, which direct mode refuses: safe. */
static const char *const separate_value[] = {
    "--CLASSPATH", "--analyzer-output", "--assert", "--bootclasspath",
    "--classpath", "--config", "--define-macro", "--dyld-prefix",
    "--encoding", "--extdirs", "--for-linker", "--force-link",
    "--include-directory", "--include-directory-after", "--include-prefix",
    "--include-with-prefix", "--include-with-prefix-after",
    "--include-with-prefix-before", "--language", "--library-directory",
    "--mhwdiv", "--no-system-header-prefix", "--output",
    "--output-class-directory", "--param", "--prefix", "--print-file-name",
    "--print-prog-name", "--resource", "--rtlib", "--std", "--stdlib",
    "--sysroot", "--system-header-prefix", "--undefine-macro", "-A", "-B",
    "-D", "-F", "-G", "-I", "-L", "-MF", "-MJ", "-MQ", "-MT", "-T", "-U",
    "-V", "-Xanalyzer", "-Xarch_device", "-Xarch_host", "-Xassembler",
    "-Xclang", "-Xclangas", "-Xcuda-fatbinary", "-Xcuda-ptxas", "-Xlinker",
    "-Xmicrosoft-visualc-tools-root", "-Xmicrosoft-visualc-tools-version",
    "-Xmicrosoft-windows-sdk-root", "-Xmicrosoft-windows-sdk-version",
    "-Xmicrosoft-windows-sys-root", "-Xopenmp-target", "-Xpreprocessor",
    "-Zlinker-input", "-alias_list", "-allowable_client", "-arch",
    "-arch_only", "-b", "-bundle_loader", "-ccc-gcc-name", "-ccc-install-dir",
    "-client_name", "-compatibility_version", "-current_version",
    "-cxx-isystem", "-darwin-target-variant", "-darwin-target-variant-triple",
    "-dependency-dot", "-dependency-file", "-dsym-dir", "-dumpdir",
    "-dylib_file", "-dylinker_install_name", "-e", "-exported_symbols_list",
    "-fdebug-compilation-dir", "-fexperimental-openacc-macro-override",
    "-filelist", "-fmodule-implementation-of", "-fmodules-user-build-path",
    "-fnew-alignment", "-force_load", "-framework", "-ftrapv-handler",
    "-gen-cdb-fragment-path", "-hlsl-entry", "-iapinotes-modules",
    "-idirafter", "-iframework", "-iframeworkwithsysroot", "-imacros",
    "-image_base", "-imultilib", "-include", "-include-pch", "-init",
    "-install_name", "-iprefix", "-iquote", "-isysroot", "-isystem",
    "-isystem-after", "-ivfsoverlay", "-iwithprefix", "-iwithprefixbefore",
    "-iwithsysroot", "-l", "-lazy_framework", "-lazy_library", "-meabi",
    "-mllvm", "-mmlir", "-module-dependency-dir", "-mthread-model",
    "-multiply_defined", "-multiply_defined_unused", "-o",
    "-object-file-name", "-pagezero_size", "-read_only_relocs",
    "-reexport_framework", "-reexport_library", "-resource-dir", "-rpath",
    "-seg1addr", "-seg_addr_table", "-seg_addr_table_filename",
    "-segs_read_only_addr", "-segs_read_write_addr", "-serialize-diagnostics",
    "-specs", "-stdlib++-isystem", "-sub_library", "-sub_umbrella", "-target",
    "-u", "-umbrella", "-undefined", "-unexported_symbols_list",
    "-vfsoverlay", "-weak_framework", "-weak_library",
    "-weak_reference_mismatches", "-working-directory", "-x", "-z",
};

/* Aliases of the options direct mode reads (Options.td `Alias<...>`). */
static const struct { const char *alias, *name; } aliases[] = {
    {"--output", "-o"}, {"--write-dependencies", "-MD"},
    {"--write-user-dependencies", "-MMD"}, {"--dependencies", "-M"},
    {"--user-dependencies", "-MM"}, {"--print-missing-file-dependencies", "-MG"},
    {"--preprocess", "-E"}, {"--compile", "-c"}, {"--assemble", "-S"},
    {"--trace-includes", "-H"},
};

/* Prefixes of options direct mode does not handle: other outputs, other
 * driver modes, and everything that hides options from this parser. Side
 * outputs (split DWARF, coverage notes, stack usage, optimization records)
 * are fine: the plugin records where clang wrote each and a hit writes
 * them from the entry; so are -emit-llvm and -flto, whose output the
 * launcher stores (docs/design.md). */
static const char *const refused_prefix[] = {
    "-E", "-M", "-fsyntax-only", "-save-temps", "-save-stats", "-emit-",
    "-flto-", "-fthin-link-bitcode", "-ftime-trace", "-ftime-report",
    "-fproc-stat-report", "-serialize-diagnostics",
    "-Xclang", "-Xarch", "-Xpreprocessor", "-Xcuda", "-Xopenmp", "-Wp,",
    "-ivfsoverlay", "-vfsoverlay", "-working-directory",
    "--config-system-dir", "--config-user-dir", "-fmodule", "-fcxx-modules",
    "-fimplicit-module", "-fplugin", "-fpass-plugin", "-include-pch",
    "-ccc-", "-###", "--precompile", "-fdepfile-entry", "-fdriver-only",
    "-dependency-", "-module-dependency-dir", "-gen-cdb-fragment-path",
    "-dumpdir", "-ob",
};

/* Driver modes that stop before code generation or do not compile (the
 * launcher then runs the compiler without the plugin). */
static const char *const stops_early[] = {
    "-E",     "-M",     "-MM",    "-fsyntax-only", "--version",
    "-###",   "--help", "-help",  "-dumpversion",  "-dumpmachine",
    "--precompile", "-print-search-dirs", "-print-resource-dir",
    "--preprocess", "--dependencies", "--user-dependencies",
};
/* clang-format on */

#define COUNT(list) (sizeof list / sizeof list[0])

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

bool oc_cc_option_separate(const char *arg) {
  return in_list(arg, separate_value, COUNT(separate_value));
}

const char *oc_cc_option_separate_at(size_t i) {
  return i < COUNT(separate_value) ? separate_value[i] : NULL;
}

bool oc_cc_option_stops_early(const char *arg) {
  return in_list(arg, stops_early, COUNT(stops_early));
}

const char *oc_cc_option_canonical(const char *arg) {
  for (size_t i = 0; i < COUNT(aliases); i++)
    if (strcmp(arg, aliases[i].alias) == 0)
      return aliases[i].name;
  return arg;
}

/* clang takes most options with either prefix, so `--name` is refused
 * when `-name` is. */
bool oc_cc_option_refused(const char *arg) {
  if (has_prefix(arg, refused_prefix, COUNT(refused_prefix)))
    return true;
  return arg[0] == '-' && arg[1] == '-' && arg[2] &&
         has_prefix(arg + 1, refused_prefix, COUNT(refused_prefix));
}

/* Every other -M option (-M, -MM, -MG, -MJ, -MV) is not one of these. */
bool oc_cc_option_dependency(const char *arg) {
  return strcmp(arg, "-MD") == 0 || strcmp(arg, "-MMD") == 0 ||
         strcmp(arg, "-MP") == 0 || strncmp(arg, "-MF", 3) == 0 ||
         strncmp(arg, "-MT", 3) == 0 || strncmp(arg, "-MQ", 3) == 0;
}

/* The last colour option wins in clang, and "=auto" leaves it to the
 * terminal again. */
int oc_cc_option_color(const char *arg) {
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

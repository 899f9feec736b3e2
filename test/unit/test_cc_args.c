/* test_cc_args.c - the compiler-option table and direct mode's argument
 * parser (objcache/cc_args.h): every separate-value option takes its value,
 * aliases mean what they alias, unknown options take none; the outputs a
 * command names (-o, --output, --output=, the default names), -MD/-MMD/-MF/
 * -MT/-MQ/-MP, colour, the refusals (several inputs, -E, response files,
 * stdin, ...) and the clang config files direct mode reads. */
/* cmocka needs these three first. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#include "objcache/cc_args.h"

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A NUL-terminated argument list from string literals (the parser only
 * keeps pointers into it). */
#define ARGS(...) ((char *[]){__VA_ARGS__, NULL})

static oc_cc_args parsed; /* large: not on the stack */

static bool parse(char **args) { return oc_cc_args_parse(args, &parsed); }

static void assert_refused(char **args, const char *why) {
  assert_false(parse(args));
  assert_non_null(parsed.why);
  assert_string_equal(parsed.why, why);
}

/* ---- the option table ---------------------------------------------------- */

/* Each option of the table takes the next argument as its value: the value
 * is never read as a second input. Options direct mode refuses are refused
 * for that, not for their value. */
static void every_separate_option_takes_its_value(void **state) {
  (void)state;
  size_t n = 0;
  for (const char *opt; (opt = oc_cc_option_separate_at(n)); n++) {
    assert_true(oc_cc_option_separate(opt));
    char *args[] = {"-c", (char *)opt, "value.c", "in.c", NULL};
    bool ok = parse(args);
    if (oc_cc_option_refused(opt) || strncmp(opt, "-M", 2) == 0) {
      /* -MJ is refused; -MF/-MT/-MQ take the value as theirs. */
      if (!ok)
        assert_string_equal(parsed.why,
                            "an option direct mode does not handle");
      else
        assert_string_equal(parsed.input, "in.c");
      continue;
    }
    if (!ok)
      fail_msg("%s value.c in.c refused: %s", opt, parsed.why);
    assert_string_equal(parsed.input, "in.c");
  }
  assert_true(n > 100); /* the whole table, not a prefix of it */
  assert_null(oc_cc_option_separate_at(n + 1));
  /* The value itself goes missing: refused, not read past the end. */
  assert_refused(ARGS("-c", "in.c", "-I"), "option without its value");
  assert_refused(ARGS("-c", "in.c", "-o"), "option without its value");
  assert_refused(ARGS("-c", "in.c", "--config"), "option without its value");
}

/* An option the table does not know takes no value: what follows is an
 * input, and two inputs are refused (safe: a miss, never a wrong hit). */
static void unknown_options_take_no_value(void **state) {
  (void)state;
  const char *unknown[] = {"-fno-such-option",
                           "--no-such-option",
                           "-Wall",
                           "-O2",
                           "-c",
                           "-g",
                           "-Iinc",
                           "-DX=1"};
  for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++)
    assert_false(oc_cc_option_separate(unknown[i]));
  assert_refused(ARGS("-c", "-fno-such-option", "x.c", "in.c"),
                 "several inputs");
  assert_true(parse(ARGS("-c", "-fno-such-option", "in.c")));
  assert_string_equal(parsed.input, "in.c");
}

static void aliases_map_to_the_same_meaning(void **state) {
  (void)state;
  static const char *const pairs[][2] = {
      {"--output", "-o"},        {"--write-dependencies", "-MD"},
      {"--compile", "-c"},       {"--write-user-dependencies", "-MMD"},
      {"--assemble", "-S"},      {"--preprocess", "-E"},
      {"--dependencies", "-M"},  {"--user-dependencies", "-MM"},
      {"--trace-includes", "-H"}};
  for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++)
    assert_string_equal(oc_cc_option_canonical(pairs[i][0]), pairs[i][1]);
  assert_string_equal(oc_cc_option_canonical("-O2"), "-O2");
  /* The same compile in every spelling of -c and -o. */
  char **spellings[] = {ARGS("-c", "in.c", "-o", "out.o"),
                        ARGS("-c", "in.c", "-oout.o"),
                        ARGS("--compile", "in.c", "--output", "out.o"),
                        ARGS("-c", "in.c", "--output=out.o")};
  for (size_t i = 0; i < sizeof spellings / sizeof *spellings; i++) {
    assert_true(parse(spellings[i]));
    assert_string_equal(parsed.output, "out.o");
    assert_string_equal(parsed.input, "in.c");
    assert_false(parsed.assembly);
  }
  assert_true(parse(ARGS("--assemble", "in.c", "--write-dependencies")));
  assert_true(parsed.assembly);
  assert_true(parsed.has_depfile);
  assert_true(parsed.dep_system);
  assert_refused(ARGS("-c", "in.c", "--preprocess"),
                 "an option direct mode does not handle");
  /* Two dashes for a refused single-dash option: refused too. */
  assert_true(oc_cc_option_refused("-save-temps"));
  assert_true(oc_cc_option_refused("--save-temps"));
  assert_false(oc_cc_option_refused("-O2"));
}

/* Where each output name is, for the direct key to leave out. */
static void output_name_positions(void **state) {
  (void)state;
  char **a = ARGS("-c", "in.c", "-o", "out.o");
  assert_true(parse(a));
  assert_ptr_equal(parsed.output_arg, &a[3]);
  assert_int_equal(parsed.output_skip, 0);
  char **b = ARGS("-c", "in.c", "-oout.o");
  assert_true(parse(b));
  assert_ptr_equal(parsed.output_arg, &b[2]);
  assert_int_equal(parsed.output_skip, 2);
  char **c = ARGS("-c", "in.c", "--output=out.o");
  assert_true(parse(c));
  assert_ptr_equal(parsed.output_arg, &c[2]);
  assert_int_equal(parsed.output_skip, 9);
  char **d = ARGS("-c", "in.c", "--output", "out.o");
  assert_true(parse(d));
  assert_ptr_equal(parsed.output_arg, &d[3]);
  assert_int_equal(parsed.output_skip, 0);
  char **e = ARGS("-c", "in.c", "-MD", "-MF", "x.d", "-MTt", "-MQ", "q");
  assert_true(parse(e));
  assert_ptr_equal(parsed.depfile_arg, &e[4]);
  assert_int_equal(parsed.depfile_skip, 0);
  assert_int_equal(parsed.target_arg_count, 2);
  assert_ptr_equal(parsed.target_arg[0], &e[5]);
  assert_int_equal(parsed.target_skip[0], 3);
  assert_ptr_equal(parsed.target_arg[1], &e[7]);
  assert_null(parsed.output_arg);
}

static void stops_early(void **state) {
  (void)state;
  const char *stop[] = {"-E",        "-M",   "-MM",          "-fsyntax-only",
                        "--version", "-###", "--preprocess", "--dependencies"};
  for (size_t i = 0; i < sizeof stop / sizeof *stop; i++)
    assert_true(oc_cc_option_stops_early(stop[i]));
  assert_false(oc_cc_option_stops_early("-c"));
  assert_false(oc_cc_option_stops_early("-MD"));
  assert_false(oc_cc_option_stops_early("-o"));
}

/* ---- what a command writes ----------------------------------------------- */

static void default_output_names(void **state) {
  (void)state;
  const struct {
    char **args;
    const char *output;
  } cases[] = {
      {ARGS("-c", "dir/foo.c"), "foo.o"},
      {ARGS("-S", "dir/foo.c"), "foo.s"},
      {ARGS("-c", "-S", "foo.cpp"), "foo.s"}, /* -S wins over -c */
      {ARGS("-c", "-emit-llvm", "foo.c"), "foo.bc"},
      {ARGS("-S", "-emit-llvm", "foo.c"), "foo.ll"},
      {ARGS("-c", "noext"), "noext.o"},
      {ARGS("-c", "dir/.hidden"), ".hidden.o"},
      {ARGS("-c", "a.b/c"), "c.o"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    assert_true(parse(cases[i].args));
    assert_string_equal(parsed.output, cases[i].output);
    assert_false(parsed.has_depfile);
    assert_int_equal(parsed.target_count, 0);
  }
}

static void dependency_files(void **state) {
  (void)state;
  /* -MD next to -o: the .d beside the object, the target the -o value. */
  assert_true(parse(ARGS("-c", "src/a.c", "-o", "out/a.o", "-MD")));
  assert_true(parsed.has_depfile);
  assert_true(parsed.dep_system);
  assert_false(parsed.dep_phony);
  assert_string_equal(parsed.depfile, "out/a.d");
  assert_int_equal(parsed.target_count, 1);
  assert_string_equal(oc_cc_args_target(&parsed, 0), "out/a.o");
  /* Without -o: named after the input, in the working directory. */
  assert_true(parse(ARGS("-S", "src/a.c", "-MMD", "-MP")));
  assert_false(parsed.dep_system);
  assert_true(parsed.dep_phony);
  assert_string_equal(parsed.depfile, "a.d");
  assert_string_equal(oc_cc_args_target(&parsed, 0), "a.o"); /* even -S */
  /* The last of -MD and -MMD says whether system headers are listed. */
  assert_true(parse(ARGS("-c", "a.c", "-MMD", "-MD")));
  assert_true(parsed.dep_system);
  assert_true(parse(ARGS("-c", "a.c", "-MD", "-MMD")));
  assert_false(parsed.dep_system);
  /* -MF names the file; -MT is taken as given, -MQ quoted for make. */
  assert_true(parse(ARGS("-c", "a.c", "-MD", "-MFdeps/a.d", "-MT", "t$x", "-MQ",
                         "q$x y", "-o", "a o.o")));
  assert_string_equal(parsed.depfile, "deps/a.d");
  assert_int_equal(parsed.target_count, 2);
  assert_string_equal(oc_cc_args_target(&parsed, 0), "t$x");
  assert_string_equal(oc_cc_args_target(&parsed, 1), "q$$x\\ y");
  /* The default target is quoted too. */
  assert_true(parse(ARGS("-c", "a.c", "-MD", "-o", "a$.o")));
  assert_string_equal(oc_cc_args_target(&parsed, 0), "a$$.o");
  /* -MF without -MD writes no dependency file. */
  assert_true(parse(ARGS("-c", "a.c", "-MF", "a.d")));
  assert_false(parsed.has_depfile);
}

static void colour(void **state) {
  (void)state;
  assert_true(parse(ARGS("-c", "a.c")));
  assert_false(parsed.color_option);
  assert_true(parse(ARGS("-c", "a.c", "-fcolor-diagnostics")));
  assert_true(parsed.color_option);
  assert_true(parse(ARGS("-c", "a.c", "-fdiagnostics-color=never")));
  assert_true(parsed.color_option);
  /* The last one wins, and =auto leaves it to the terminal. */
  assert_true(parse(
      ARGS("-c", "a.c", "-fno-color-diagnostics", "-fdiagnostics-color=auto")));
  assert_false(parsed.color_option);
  assert_int_equal(oc_cc_option_color("-Wall"), -1);
}

static void refusals(void **state) {
  (void)state;
  assert_refused(ARGS("-c", "a.c", "b.c"), "several inputs");
  assert_refused(ARGS("-c"), "no input");
  assert_refused(ARGS("a.c", "-o", "a"), "not a compile");
  assert_refused(ARGS("-E", "a.c"), "an option direct mode does not handle");
  assert_refused(ARGS("-c", "-E", "a.c"),
                 "an option direct mode does not handle");
  assert_refused(ARGS("-c", "a.c", "-M"),
                 "an option direct mode does not handle");
  assert_refused(ARGS("-c", "a.c", "-MJ", "x.json"),
                 "an option direct mode does not handle");
  assert_refused(ARGS("-c", "a.c", "-save-temps"),
                 "an option direct mode does not handle");
  assert_refused(ARGS("-c", "a.c", "-Xclang", "-foo"),
                 "an option direct mode does not handle");
  assert_refused(ARGS("-c", "@args.rsp"), "response file");
  assert_refused(ARGS("-c", "a.c", "@args.rsp"), "response file");
  assert_refused(ARGS("-c", "-"), "input from stdin");
  assert_refused(ARGS("-c", "a.c", "-o", "-"), "output to stdout");
  assert_refused(ARGS("-c", "a.c", "-MD", "-MF", "-"),
                 "dependency file to stdout");
  char *many[2 + 2 * (OC_CC_MAX_TARGETS + 1) + 1] = {"-c", "a.c"};
  for (size_t i = 0; i <= OC_CC_MAX_TARGETS; i++) {
    many[2 + 2 * i] = "-MT";
    many[3 + 2 * i] = "t";
  }
  assert_refused(many, "too many dependency targets");
}

/* ---- clang config files -------------------------------------------------- */

static void write_file(const char *name, const char *text) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", root, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static bool config_ok(const char *spelling, const char *name,
                      const char **why) {
  bool joined = spelling[strlen(spelling) - 1] == '=';
  char value[256];
  snprintf(value, sizeof value, "%s%s/%s", joined ? spelling : "", root, name);
  char *args[] = {"-c", "a.c", joined ? value : (char *)spelling,
                  joined ? NULL : value, NULL};
  *why = NULL;
  return oc_cc_config_files_ok(args, why);
}

static void config_files(void **state) {
  (void)state;
  const char *why;
  write_file("good.cfg", "# a comment -save-temps\n-O2 -Wall \\\n-g\n"
                         "\"-DX=a b\" -MD @nested.cfg\n");
  write_file("nested.cfg", "-fPIC\n");
  assert_true(config_ok("--config=", "good.cfg", &why));
  assert_true(config_ok("--config", "good.cfg", &why));
  write_file("bad.cfg", "-O2\n--save-temps\n");
  assert_false(config_ok("--config=", "bad.cfg", &why));
  assert_string_equal(
      why, "a config file holds an option direct mode does not handle");
  write_file("outer.cfg", "@bad.cfg\n");
  assert_false(config_ok("--config", "outer.cfg", &why));
  write_file("cfgdir.cfg", "-I<CFGDIR>/include\n");
  assert_false(config_ok("--config=", "cfgdir.cfg", &why));
  assert_string_equal(why, "<CFGDIR> in a config file");
  assert_false(config_ok("--config=", "missing.cfg", &why));
  assert_string_equal(why, "unreadable config file");
  write_file("loop.cfg", "@loop.cfg\n");
  assert_false(config_ok("--config=", "loop.cfg", &why));
  assert_string_equal(why, "config files nested too deep");
  /* A bare name is searched in the driver's directories: not read. */
  assert_false(
      oc_cc_config_files_ok(ARGS("-c", "a.c", "--config=x.cfg"), &why));
  assert_string_equal(why, "a config file named without a path");
  assert_true(oc_cc_config_files_ok(ARGS("-c", "a.c"), &why));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_separate_option_takes_its_value),
      cmocka_unit_test(unknown_options_take_no_value),
      cmocka_unit_test(aliases_map_to_the_same_meaning),
      cmocka_unit_test(output_name_positions),
      cmocka_unit_test(stops_early),
      cmocka_unit_test(default_output_names),
      cmocka_unit_test(dependency_files),
      cmocka_unit_test(colour),
      cmocka_unit_test(refusals),
      cmocka_unit_test_setup_teardown(config_files, fixture_setup,
                                      fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* C input for the hit-path matrix: every kind of global value and special
 * global a late pass may walk (constructors and destructors with
 * priorities, aliases, ifuncs, TLS, weak and hidden symbols, sections,
 * llvm.used, llvm.global.annotations, function-local statics, file-scope
 * asm, computed gotos, an OpenMP loop, dependent libraries).
 * No #include: the matrix compiles it many times. */
typedef unsigned long size_t;

int counter;
int initialised = 3;
static const char table[] = "a table that lives in .rodata, long enough";
__thread int per_thread = 7;
_Thread_local long per_thread_array[4] = {1, 2, 3, 4};
__attribute__((weak)) int weak_value = 1;
__attribute__((visibility("hidden"))) int hidden_value = 2;
__attribute__((visibility("protected"))) int protected_value = 5;
__attribute__((section(".data.objcache"))) int in_section = 4;
__attribute__((used)) static int kept_unused = 9;
extern int extern_weak_value __attribute__((weak));
int *const address_of_counter = &counter;
__attribute__((retain, used)) static const char retained[] = "retained";
__attribute__((annotate("objcache"))) int annotated = 12;
__thread int initial_exec __attribute__((tls_model("initial-exec"))) = 13;
static int weakref_target(int) __attribute__((weakref("weak_function")));
#pragma comment(lib, "m")

__asm__(".globl file_scope_asm_symbol\n"
        ".set file_scope_asm_symbol, 0x10\n");

__attribute__((constructor(101))) static void early_init(void) {
  counter += 1;
}
__attribute__((constructor)) static void late_init(void) { counter *= 2; }
__attribute__((destructor(200))) static void early_fini(void) {
  counter -= 1;
}
__attribute__((destructor)) void late_fini(void) { counter = 0; }

int real_function(int x) { return x * initialised + counter; }
int alias_of_function(int) __attribute__((alias("real_function")));
extern int alias_of_variable __attribute__((alias("initialised")));
static int weak_alias_target(void) { return 11; }
int weak_alias(void) __attribute__((weak, alias("weak_alias_target")));

static int impl_generic(void) { return 1; }
static int impl_fast(void) { return 2; }
static int (*resolve_choice(void))(void) {
  return counter > 100 ? impl_fast : impl_generic;
}
int chosen(void) __attribute__((ifunc("resolve_choice")));

__attribute__((weak)) int weak_function(int x) { return x + 1; }
__attribute__((visibility("hidden"))) int hidden_function(int x) {
  return x - 1;
}
__attribute__((section(".text.objcache"))) int section_function(int x) {
  return x ^ 0x55;
}
__attribute__((noinline, cold)) static int cold_path(int x) { return -x; }

int function_local_static(void) {
  static int calls;
  static const int *self = &calls;
  return ++calls + *self;
}

int (*const dispatch[])(int) = {real_function, weak_function,
                                hidden_function, section_function};

int computed_goto(int i) {
  static void *labels[] = {&&zero, &&one, &&two};
  goto *labels[i % 3];
zero:
  return 0;
one:
  return per_thread;
two:
  return (int)per_thread_array[i & 3];
}

int extern_weak_value_present(void) { return &extern_weak_value != 0; }

int stack_buffer(size_t n) {
  char buf[64];
  char vla[n % 32 + 1];
  for (size_t i = 0; i < sizeof buf; ++i)
    buf[i] = table[i % (sizeof table - 1)];
  vla[0] = buf[n % sizeof buf];
  return vla[0] + (extern_weak_value_present() ? 1 : 0);
}

static void release(int *p) { *p = 0; }

int parallel_sum(const int *v, int n) {
  int total __attribute__((cleanup(release))) = 0;
  int result = 0;
#pragma omp parallel for reduction(+ : result)
  for (int i = 0; i < n; ++i)
    result += v[i];
  total = result;
  return total;
}

int use_everything(int x) {
  int total = 0;
  for (int i = 0; i < 4; ++i)
    total += dispatch[i](x + i);
  if (x < -1000)
    total += cold_path(x);
  return total + chosen() + weak_alias() + alias_of_function(x) +
         alias_of_variable + function_local_static() + computed_goto(x) +
         stack_buffer((size_t)x) + in_section + hidden_value + weak_value +
         protected_value + annotated + initial_exec + weakref_target(x) +
         parallel_sum(&initialised, 1);
}

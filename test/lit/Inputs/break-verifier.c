/* An LD_PRELOAD shim for plugin/hit-fallback.test: with OC_BREAK_VERIFIER
 * set, llvm::verifyModule (the function objcache's hit path calls on its
 * emptied copy of the module in debug mode) reports the module broken, with
 * a message; otherwise it is LLVM's own. clang's own verifier pass does not
 * go through this entry point. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>

#define VERIFY_MODULE "_ZN4llvm12verifyModuleERKNS_6ModuleEPNS_11raw_ostreamEPb"

typedef bool (*verify_fn)(const void *, void *, bool *);

bool _ZN4llvm12verifyModuleERKNS_6ModuleEPNS_11raw_ostreamEPb(
    const void *module, void *os, bool *broken_debug_info) {
  if (getenv("OC_BREAK_VERIFIER")) {
    if (broken_debug_info)
      *broken_debug_info = false;
    return true;
  }
  verify_fn real = (verify_fn)dlsym(RTLD_NEXT, VERIFY_MODULE);
  return real(module, os, broken_debug_info);
}

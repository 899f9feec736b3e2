/* A pass plugin that does nothing, written in C against the layout of
 * llvm::PassPluginLibraryInfo (API version 2): used to show that another
 * loaded plugin is part of the key by content. VARIANT changes its bytes. */
#include <stdbool.h>
#include <stdint.h>

struct PassPluginLibraryInfo {
  uint32_t APIVersion;
  const char *PluginName;
  const char *PluginVersion;
  void (*RegisterPassBuilderCallbacks)(void *);
  bool (*PreCodeGenCallback)(void *, void *, int, void *);
};

struct PassPluginLibraryInfo llvmGetPassPluginInfo(void) {
  struct PassPluginLibraryInfo info = {2, "noop", VARIANT, 0, 0};
  return info;
}

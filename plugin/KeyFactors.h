//===- KeyFactors.h - The complete list of what goes into the cache key ---===//
//
// Every factor of the key is added here, in one place, through
// oc_key_add(); the same calls produce the digest and the human-readable
// factor record. docs/key.md explains each factor and each exclusion.
//
//===----------------------------------------------------------------------===//
#ifndef OBJCACHE_PLUGIN_KEYFACTORS_H
#define OBJCACHE_PLUGIN_KEYFACTORS_H

extern "C" {
#include "objcache/key.h"
}

#include "llvm/Passes/PassBuilder.h"
#include <string>
#include <vector>

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace objcache {

struct CompileState;

struct PipelineInfo {
  llvm::TargetMachine *TM;
  llvm::PipelineTuningOptions PTO;
  llvm::OptimizationLevel Level;
};

// Adds all factors for one compilation. On failure (a file named by an
// option cannot be read, the option dump failed) returns false and says why.
// NamedFiles receives the files option values name (factor "file"), which
// direct mode must also watch.
bool addKeyFactors(oc_key_builder *Key, const CompileState &State,
                   llvm::Module &M, const PipelineInfo &Pipeline,
                   std::vector<std::string> &NamedFiles, std::string &Error);

} // namespace objcache

#endif

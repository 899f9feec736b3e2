//===- Verify.h - Verify mode: recompile a sampled hit and compare --------===//
//
// A sampled hit is not stripped at pipeline start: the optimizer and code
// generation run as on a miss, and the fresh object is compared with the
// cached one byte for byte (lib/compile/verify.c). The fresh object is always what
// the user gets; on a mismatch the entry is replaced and the evidence kept
// under <cache dir>/verify/. Kept apart from the plain hit path.
//
//===----------------------------------------------------------------------===//
#ifndef OBJCACHE_PLUGIN_VERIFY_H
#define OBJCACHE_PLUGIN_VERIFY_H

#include "llvm/ADT/ArrayRef.h"

namespace llvm {
class Module;
} // namespace llvm

namespace objcache {

struct CompileState;

// At pipeline start, after a hit: draws against the `verify` share. True
// when this hit is to be verified: the module is then left whole and the
// state set up for code generation as on a miss.
bool startVerify(CompileState &State, llvm::Module &M);

// In the pre-codegen hook, once the fresh object is written out: compares
// it with the cached one and settles the outcome (a hit either way).
void finishVerify(CompileState &State, llvm::ArrayRef<char> Object);

} // namespace objcache

#endif

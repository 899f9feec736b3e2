//===- CodeGen.h - Code generation into memory, and emptying on a hit -----===//
//
// On a miss objcache runs clang's code generation step itself, into a
// buffer, so that the exact bytes clang would write can be both stored and
// written to clang's output stream. On a hit the module is emptied at
// pipeline start so that neither the optimizer nor any pass clang adds after
// it (sanitizers, coverage, profiling) has anything to work on.
//
//===----------------------------------------------------------------------===//
#ifndef OBJCACHE_PLUGIN_CODEGEN_H
#define OBJCACHE_PLUGIN_CODEGEN_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/DiagnosticHandler.h"
#include "llvm/Support/CodeGen.h"
#include <memory>
#include <string>

namespace clang {
class CodeGenOptions;
} // namespace clang

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
} // namespace llvm

namespace objcache {

// Mirrors clang's EmitAssemblyHelper::RunCodegenPipeline (LLVM 22). DwoOut
// receives the split DWARF (.dwo) sections when clang would open a .dwo
// file (CodeGenOptions::SplitDwarfOutput set), else it is null. Returns
// false when the target cannot emit this file type.
bool runCodeGen(llvm::Module &M, llvm::TargetMachine &TM,
                llvm::CodeGenFileType FileType,
                const clang::CodeGenOptions &CodeGenOpts,
                llvm::SmallVectorImpl<char> &Out,
                llvm::SmallVectorImpl<char> *DwoOut = nullptr);

// Empties the module for a hit: every function, global variable, alias and
// ifunc goes (so do llvm.global_ctors/dtors, llvm.used, llvm.compiler.used
// and every other special global), and the module-level inline assembly.
// What is left is, up to metadata, what clang builds for an empty
// translation unit with the same options: target triple, data layout,
// module flags and named metadata (docs/design.md explains why every later
// pass accepts it). The module must
// not reach code generation afterwards: the pre-codegen hook serves the
// cached object instead.
void emptyModule(llvm::Module &M);

// True when M is what emptyModule promises: no global value, no inline
// assembly, and the IR verifier accepts it (debug info included). Otherwise
// Problem says what is wrong.
bool isEmptiedModule(const llvm::Module &M, std::string &Problem);

// Empties a copy of M and checks the copy, leaving M untouched: the hit
// path's self-test, run before M itself is emptied, while a normal compile
// is still possible. Costs a copy of the module: for debug mode.
bool emptiesCleanly(const llvm::Module &M, std::string &Problem);

// Wraps the context's diagnostic handler (clang's) and remembers whether any
// warning, error or remark reached it after the front end. Such a compile is
// not stored: a hit could not reproduce the message.
class WatchingDiagnosticHandler : public llvm::DiagnosticHandler {
public:
  WatchingDiagnosticHandler(std::unique_ptr<llvm::DiagnosticHandler> Inner,
                            bool *Seen);
  bool handleDiagnostics(const llvm::DiagnosticInfo &DI) override;
  bool isAnalysisRemarkEnabled(llvm::StringRef PassName) const override;
  bool isMissedOptRemarkEnabled(llvm::StringRef PassName) const override;
  bool isPassedOptRemarkEnabled(llvm::StringRef PassName) const override;
  bool isAnyRemarkEnabled() const override;

  // Puts the original handler back into the context.
  static void uninstall(llvm::LLVMContext &Ctx);
  static void install(llvm::LLVMContext &Ctx, bool *Seen);

private:
  std::unique_ptr<llvm::DiagnosticHandler> Inner;
  bool *Seen;
};

} // namespace objcache

#endif

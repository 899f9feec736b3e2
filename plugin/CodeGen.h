//===- CodeGen.h - Code generation into memory, and module stripping -----===//
//
// On a miss objcache runs clang's code generation step itself, into a
// buffer, so that the exact bytes clang would write can be both stored and
// written to clang's output stream. On a hit the module is stripped at
// pipeline start so the optimizer has nothing to do.
//
//===----------------------------------------------------------------------===//
#ifndef OBJCACHE_PLUGIN_CODEGEN_H
#define OBJCACHE_PLUGIN_CODEGEN_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/DiagnosticHandler.h"
#include "llvm/Support/CodeGen.h"
#include <memory>

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

// Deletes every function body, alias and ifunc so the optimization pipeline
// runs over declarations only. The module must not reach code generation
// afterwards: the pre-codegen hook serves the cached object instead.
void stripModule(llvm::Module &M);

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

//===- CodeGen.cpp - Code generation into memory, and module stripping ---===//
#include "CodeGen.h"

#include "clang/Basic/CodeGenOptions.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/Analysis/TargetTransformInfo.h"
#include "llvm/Frontend/Driver/CodeGenOptions.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <optional>

using namespace llvm;

namespace objcache {

bool runCodeGen(Module &M, TargetMachine &TM, CodeGenFileType FileType,
                const clang::CodeGenOptions &CodeGenOpts,
                SmallVectorImpl<char> &Out, SmallVectorImpl<char> *DwoOut) {
  // The same passes, in the same order, as clang's RunCodegenPipeline; only
  // the streams differ. Clang passes a .dwo stream exactly when
  // SplitDwarfOutput is set; TM.Options.MCOptions.SplitDwarfFile (the name
  // the skeleton unit records) is already set on the TargetMachine.
  legacy::PassManager CodeGenPasses;
  CodeGenPasses.add(
      createTargetTransformInfoWrapperPass(TM.getTargetIRAnalysis()));
  std::unique_ptr<TargetLibraryInfoImpl> TLII(
      driver::createTLII(M.getTargetTriple(), CodeGenOpts.getVecLib()));
  CodeGenPasses.add(new TargetLibraryInfoWrapperPass(*TLII));

  raw_svector_ostream Stream(Out);
  std::optional<raw_svector_ostream> DwoStream;
  if (DwoOut)
    DwoStream.emplace(*DwoOut);
  if (TM.addPassesToEmitFile(CodeGenPasses, Stream,
                             DwoStream ? &*DwoStream : nullptr, FileType,
                             /*DisableVerify=*/!CodeGenOpts.VerifyModule))
    return false;
  CodeGenPasses.run(M);
  return true;
}

void stripModule(Module &M) {
  for (GlobalAlias &Alias : llvm::make_early_inc_range(M.aliases())) {
    Alias.replaceAllUsesWith(PoisonValue::get(Alias.getType()));
    Alias.eraseFromParent();
  }
  for (GlobalIFunc &IFunc : llvm::make_early_inc_range(M.ifuncs())) {
    IFunc.replaceAllUsesWith(PoisonValue::get(IFunc.getType()));
    IFunc.eraseFromParent();
  }
  for (Function &F : M)
    if (!F.isDeclaration())
      F.deleteBody();
}

WatchingDiagnosticHandler::WatchingDiagnosticHandler(
    std::unique_ptr<DiagnosticHandler> Inner, bool *Seen)
    : Inner(std::move(Inner)), Seen(Seen) {}

bool WatchingDiagnosticHandler::handleDiagnostics(const DiagnosticInfo &DI) {
  // Optimization remarks reach the handler whether or not they are enabled
  // (clang filters them): only an enabled one would be printed.
  if (auto *Remark = dyn_cast<DiagnosticInfoOptimizationBase>(&DI)) {
    if (Remark->isEnabled())
      *Seen = true;
  } else if (DI.getSeverity() != DS_Note) {
    *Seen = true;
  }
  if (Inner)
    return Inner->handleDiagnostics(DI);
  return false;
}

bool WatchingDiagnosticHandler::isAnalysisRemarkEnabled(StringRef Pass) const {
  return Inner && Inner->isAnalysisRemarkEnabled(Pass);
}
bool WatchingDiagnosticHandler::isMissedOptRemarkEnabled(StringRef Pass) const {
  return Inner && Inner->isMissedOptRemarkEnabled(Pass);
}
bool WatchingDiagnosticHandler::isPassedOptRemarkEnabled(StringRef Pass) const {
  return Inner && Inner->isPassedOptRemarkEnabled(Pass);
}
bool WatchingDiagnosticHandler::isAnyRemarkEnabled() const {
  return Inner && Inner->isAnyRemarkEnabled();
}

void WatchingDiagnosticHandler::install(LLVMContext &Ctx, bool *Seen) {
  std::unique_ptr<DiagnosticHandler> Inner = Ctx.getDiagnosticHandler();
  // Keep the caller's context pointer and callback, which clang and the C
  // API read directly from the handler object.
  auto Watcher = std::make_unique<WatchingDiagnosticHandler>(nullptr, Seen);
  if (Inner) {
    Watcher->DiagHandlerCallback = Inner->DiagHandlerCallback;
    Watcher->DiagnosticContext = Inner->DiagnosticContext;
  }
  Watcher->Inner = std::move(Inner);
  Ctx.setDiagnosticHandler(std::move(Watcher));
}

void WatchingDiagnosticHandler::uninstall(LLVMContext &Ctx) {
  auto *Watcher = dynamic_cast<WatchingDiagnosticHandler *>(
      const_cast<DiagnosticHandler *>(Ctx.getDiagHandlerPtr()));
  if (!Watcher)
    return;
  std::unique_ptr<DiagnosticHandler> Inner = std::move(Watcher->Inner);
  if (Inner)
    Inner->HasErrors |= Watcher->HasErrors;
  Ctx.setDiagnosticHandler(std::move(Inner));
}

} // namespace objcache

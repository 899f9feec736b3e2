//===- Plugin.cpp - objcache's hooks into Clang and LLVM ------------------===//
//
// One shared object, loaded with -fpass-plugin=objcache.so, provides:
//   1. a frontend plugin action (run automatically after the main action)
//      that captures the CompilerInstance and decides up front whether the
//      compilation is cacheable at all;
//   2. a pass at the very start of the optimization pipeline that computes
//      the key and looks it up; on a hit it empties the module so that the
//      optimizer and clang's later passes have nothing to do;
//   3. the pre-codegen callback: on a hit it writes the cached object to
//      clang's output stream; on a miss it runs code generation into memory,
//      stores the object and writes it out.
// Storage, hashing and statistics live in lib/ behind the C API.
//
//===----------------------------------------------------------------------===//
#include "CodeGen.h"
#include "CompileState.h"
#include "DirectRecord.h"
#include "Location.h"
#include "InlineAsmRule.h"
#include "KeyFactors.h"
#include "SideOutputs.h"
#include "Verify.h"

extern "C" {
#include "objcache/store.h"
#include "objcache/version.h"
}

#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendPluginRegistry.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Plugins/PassPlugin.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Target/TargetMachine.h"

#include <ctime>
#include <type_traits>

using namespace llvm;

namespace objcache {
namespace {

using Clock = std::chrono::steady_clock;

//===-- 1. Frontend hook --------------------------------------------------===//

void storeOutputs(CompileState &State);

// Decides, from the options alone, what the cache cannot reproduce, and
// lists the side outputs it will capture with the object.
void classify(CompileState &State) {
  const clang::CompilerInstance &CI = *State.CI;
  const clang::CodeGenOptions &CG = CI.getCodeGenOpts();
  clang::frontend::ActionKind Action = CI.getFrontendOpts().ProgramAction;
  State.BitcodeOutput =
      Action == clang::frontend::EmitBC || Action == clang::frontend::EmitLLVM;
  collectSideOutputs(State);
  if (!CG.SaveTempsFilePrefix.empty())
    State.markUncacheable(OC_STAT_UNCACHEABLE_SAVE_TEMPS,
                          "-save-temps writes intermediate files");
  else if (!State.BitcodeOutput && Action != clang::frontend::EmitObj &&
           Action != clang::frontend::EmitAssembly)
    State.markUncacheable(OC_STAT_UNCACHEABLE_OUTPUT_KIND,
                          "output is not an object, assembly or LLVM IR");
  else if (!CG.ThinLinkBitcodeFile.empty())
    State.markUncacheable(OC_STAT_UNCACHEABLE_EXTRA_OUTPUT,
                          "-fthin-link-bitcode output");
  else if (State.BitcodeOutput && !State.SideOutputs.empty())
    State.markUncacheable(OC_STAT_UNCACHEABLE_EXTRA_OUTPUT,
                          "side outputs of an LLVM IR or bitcode compile");
  else if (CG.TimePasses)
    State.markUncacheable(OC_STAT_UNCACHEABLE_EXTRA_OUTPUT,
                          "-ftime-report output");
}

std::string absoluteOutput(const clang::CompilerInstance &CI) {
  std::string Output = CI.getFrontendOpts().OutputFile;
  if (Output.empty() || Output == "-")
    return Output.empty() ? "-" : Output;
  return cleanAbsolute(Output); // as `objcache --explain` spells it
}

// True when objcache is the only frontend plugin: no other consumer that
// runs after the main action can need the AST.
bool onlyFrontendPlugin() {
  unsigned Count = 0;
  for (const auto &Entry : clang::FrontendPluginRegistry::entries()) {
    (void)Entry;
    ++Count;
  }
  return Count == 1;
}

// Owns the state of one translation unit, and never looks at the AST. It
// runs after the main action's consumer, so its HandleTranslationUnit
// comes after code generation.
//
// A consumer after the main action makes clang keep the whole AST through
// code generation (it turns CodeGenOptions::ClearASTBeforeBackend off in
// case the consumer needs it), which cost a large file 10% more peak
// memory. This one does not need it: once parsing starts it puts back the
// value clang had, unless another frontend plugin is loaded.
class StateOwner : public clang::ASTConsumer {
public:
  StateOwner(std::unique_ptr<CompileState> State, clang::CompilerInstance &CI,
             bool ClearASTBeforeBackend)
      : State(std::move(State)), CI(CI),
        ClearASTBeforeBackend(ClearASTBeforeBackend) {
    setCurrentState(this->State.get());
  }
  ~StateOwner() override { finish(); }
  void Initialize(clang::ASTContext &) override {
    if (ClearASTBeforeBackend && onlyFrontendPlugin())
      CI.getCodeGenOpts().ClearASTBeforeBackend = true;
  }
  void HandleTranslationUnit(clang::ASTContext &) override { finish(); }

private:
  // Under -disable-free clang never destroys consumers, so the end of the
  // translation unit is the reliable place to finish.
  void finish() {
    if (!State)
      return;
    if (currentState() == State.get())
      setCurrentState(nullptr);
    storeOutputs(*State);
    State->finish();
    State.reset();
  }

  std::unique_ptr<CompileState> State;
  clang::CompilerInstance &CI;
  bool ClearASTBeforeBackend;
};

class ObjcacheAction : public clang::PluginASTAction {
protected:
  std::unique_ptr<clang::ASTConsumer>
  CreateASTConsumer(clang::CompilerInstance &CI, StringRef) override {
    clang::frontend::ActionKind Action = CI.getFrontendOpts().ProgramAction;
    bool Compiles = Action == clang::frontend::EmitObj ||
                    Action == clang::frontend::EmitAssembly ||
                    Action == clang::frontend::EmitBC ||
                    Action == clang::frontend::EmitLLVM;
    // A fresh state per translation unit, so nothing of a previous one (in
    // `clang -c a.c b.c`) can leak into this one.
    setCurrentState(nullptr);
    if (!Compiles)
      return std::make_unique<clang::ASTConsumer>();

    auto State = std::make_unique<CompileState>();
    State->CI = &CI;
    State->CompileStart = Clock::now();
    if (!CI.getFrontendOpts().Inputs.empty() &&
        CI.getFrontendOpts().Inputs[0].isFile())
      State->SourcePath = CI.getFrontendOpts().Inputs[0].getFile().str();
    State->OutputPath = absoluteOutput(CI);

    oc_error Err{};
    oc_status Status = oc_config_load(&State->Config, &Err);
    // A bad value still leaves a usable cache_dir, so the fault is counted.
    State->ConfigLoaded = Status == OC_OK || Status == OC_BAD_CONFIG;
    State->openSession();
    if (Status != OC_OK)
      State->reportError(Err.message);
    else if (State->Config.disable)
      State->Result = Outcome::Disabled;
    else
      classify(*State);
    // A shared objcache.conf whose sensitive settings were ignored.
    if (Status == OC_OK && State->Config.warning[0])
      State->noteFault(State->Config.warning);
    if (State->Result == Outcome::Pending)
      State->Direct = DirectRecorder::start(CI);
    // LLVM IR and bitcode go to clang's stream by a pass after the whole
    // pipeline, with no hook after it: only the launcher, which sees the
    // finished file, can store and serve them.
    if (State->Result == Outcome::Pending && State->BitcodeOutput &&
        !State->Direct)
      State->markUncacheable(OC_STAT_UNCACHEABLE_OUTPUT_KIND,
                             "LLVM IR or bitcode output is cached only "
                             "through the launcher (objcache clang ...)");
    // Read before clang turns it off for this after-main consumer.
    return std::make_unique<StateOwner>(
        std::move(State), CI, bool(CI.getCodeGenOpts().ClearASTBeforeBackend));
  }

  bool ParseArgs(const clang::CompilerInstance &,
                 const std::vector<std::string> &) override {
    return true;
  }
  ActionType getActionType() override { return AddAfterMainAction; }
};

//===-- 2. Pipeline start -------------------------------------------------===//

// PassBuilder keeps the TargetMachine and tuning options it was built with
// private. It has no base class and no virtual function, so under the
// Itanium C++ ABI its first data members are laid out in declaration order
// at offset 0: TM, then PTO (llvm/Passes/PassBuilder.h, LLVM 22). The
// pipeline-start pass checks the TargetMachine against the module before
// trusting it.
struct PassBuilderPrefix {
  TargetMachine *TM;
  PipelineTuningOptions PTO;
};
static_assert(!std::is_polymorphic<PassBuilder>::value,
              "PassBuilder layout assumption broken");
static_assert(sizeof(PassBuilder) > sizeof(PassBuilderPrefix),
              "PassBuilder layout assumption broken");

bool targetMachineMatches(const TargetMachine *TM, const Module &M) {
  return TM && TM->getTargetTriple() == M.getTargetTriple() &&
         TM->createDataLayout() == M.getDataLayout();
}

void countIrInput() {
  // No frontend state: the input was LLVM IR or bitcode, so the front end
  // that objcache hooks never ran.
  CompileState State;
  oc_error Err{};
  if (oc_config_load(&State.Config, &Err) != OC_OK || State.Config.disable)
    return;
  State.ConfigLoaded = true;
  State.openSession();
  State.markUncacheable(OC_STAT_UNCACHEABLE_IR_INPUT, "LLVM IR input");
  State.CompileStart = Clock::now();
  State.finish();
}

// A hit. Every check comes before the module changes: once it is emptied
// its code is gone, and only the cached object can be written.
void takeHit(CompileState &State, Module &M) {
  // Debug mode (and the tests) first empty a copy: a module the verifier
  // rejects would reach clang's later passes, so compile normally instead.
  std::string Problem;
  if (State.Config.debug && !emptiesCleanly(M, Problem)) {
    oc_entry_contents_free(&State.Cached);
    State.reportError("the hit path would leave an invalid module (" + Problem +
                      ")");
    return;
  }
  State.Result = Outcome::Hit;
  emptyModule(M);
}

void lookUp(CompileState &State, Module &M, const PipelineInfo &Pipeline) {
  if (!targetMachineMatches(Pipeline.TM, M)) {
    State.reportError("cannot read clang's target machine");
    return;
  }
  if (std::string Directive; !inlineAsmIsCacheable(M, Directive)) {
    State.markUncacheable(OC_STAT_UNCACHEABLE_INLINE_ASM,
                          "inline assembly uses " + Directive +
                              " (only directives known not to read files "
                              "are cached)");
    return;
  }
  std::string Why;
  if (!resolveSideOutputs(State, M, Why)) {
    State.markUncacheable(OC_STAT_UNCACHEABLE_COVERAGE, Why);
    return;
  }
  // The record is kept for every compile (history, the entry's writer).
  oc_key_builder *Key = oc_key_builder_new(true);
  if (!Key) {
    State.reportError("out of memory");
    return;
  }
  std::string Error;
  bool Complete =
      addKeyFactors(Key, State, M, Pipeline, State.NamedFiles, Error);
  State.Key = oc_key_digest(Key);
  if (const char *Record = oc_key_record(Key, nullptr))
    State.FactorRecord = Record;
  oc_key_builder_free(Key);
  if (!Complete) {
    State.reportError(Error);
    return;
  }
  char Hex[OC_DIGEST_HEX_SIZE];
  oc_digest_to_hex(&State.Key, Hex);
  State.KeyHex = Hex;
  // Direct mode shares a candidate across working directories and output
  // paths only when the module names none of them (Location.h).
  if (State.Direct)
    State.Direct->setLocation(moduleNamesLocation(
        M, *Pipeline.TM, otherPluginsLoaded(*State.CI),
        locationNeedles(*State.CI, State.Config.base_dir)));
  if (State.BitcodeOutput) {
    // The launcher stores the finished file under this key (see classify).
    State.Result = Outcome::Lookup;
    State.PipelineStart = Clock::now();
    WatchingDiagnosticHandler::install(M.getContext(), &State.BackendDiagnosed);
    return;
  }

  oc_error Err{};
  oc_store *Store = State.store(Err);
  oc_status Status = Store ? OC_OK : Err.status;
  std::vector<const char *> Required = requiredOutputs(State);
  if (Status == OC_OK)
    Status = oc_store_get_outputs(Store, &State.Key, Required.data(),
                                  Required.size(), &State.Cached,
                                  &State.CachedMeta, &Err);
  // A remote fault the lookup survived (it became a miss) is reported
  // here; no connection stays open through code generation.
  State.releaseStore();
  switch (Status) {
  case OC_OK:
    if (startVerify(State, M))
      return; // verify mode: compile as on a miss, compare in preCodeGen
    takeHit(State, M);
    return;
  case OC_CORRUPT:
    // The store removed the bad entry; compiling afresh replaces it.
    State.noteFault(Err.message);
    [[fallthrough]];
  case OC_NOT_FOUND:
    State.Result = Outcome::Lookup;
    State.PipelineStart = Clock::now();
    WatchingDiagnosticHandler::install(M.getContext(), &State.BackendDiagnosed);
    return;
  default:
    State.reportError(Err.message);
    return;
  }
}

class StartPass : public PassInfoMixin<StartPass> {
public:
  explicit StartPass(PipelineInfo Pipeline) : Pipeline(Pipeline) {}

  PreservedAnalyses run(Module &M, ModuleAnalysisManager &) {
    CompileState *State = currentState();
    if (!State) {
      countIrInput();
      return PreservedAnalyses::all();
    }
    if (State->StartSeen || State->Result != Outcome::Pending)
      return PreservedAnalyses::all();
    State->StartSeen = true;
    lookUp(*State, M, Pipeline);
    return State->Result == Outcome::Hit ? PreservedAnalyses::none()
                                         : PreservedAnalyses::all();
  }

  // Must run at -O0 too, where optnone would otherwise skip it.
  static bool isRequired() { return true; }

private:
  PipelineInfo Pipeline;
};

void registerCallbacks(PassBuilder &PB) {
  const auto &Prefix = reinterpret_cast<const PassBuilderPrefix &>(PB);
  TargetMachine *TM = Prefix.TM;
  PipelineTuningOptions PTO = Prefix.PTO;
  PB.registerPipelineStartEPCallback(
      [TM, PTO](ModulePassManager &MPM, OptimizationLevel Level) {
        MPM.addPass(StartPass(PipelineInfo{TM, PTO, Level}));
      });
}

//===-- 3. Pre-codegen ----------------------------------------------------===//

bool preCodeGen(Module &M, TargetMachine &TM, CodeGenFileType FileType,
                raw_pwrite_stream &OS) {
  CompileState *State = currentState();
  if (!State || State->CodeGenSeen)
    return false;
  State->CodeGenSeen = true;

  if (State->Result == Outcome::Hit) {
    const oc_entry_output *Object =
        oc_entry_find(&State->Cached, OC_ENTRY_OBJECT);
    OS.write(reinterpret_cast<const char *>(Object->data), Object->size);
    std::string Why;
    if (!writeCachedSideOutputs(*State, /*Late=*/false, Why))
      M.getContext().emitError("objcache: " + Why);
    return true;
  }
  if (State->Result != Outcome::Lookup)
    return false;

  std::string Why;
  bool Fatal = false;
  bool Captured = codeGenWithSideOutputs(*State, M, TM, FileType, State->Object,
                                         Why, Fatal);
  WatchingDiagnosticHandler::uninstall(M.getContext());
  if (!Captured && State->Object.empty()) {
    // Let clang try, and report, exactly as it would without objcache.
    State->reportError(Why);
    return false;
  }
  OS.write(State->Object.data(), State->Object.size());
  if (Fatal) {
    M.getContext().emitError("objcache: " + Why);
    State->reportError(Why);
    return true;
  }
  if (State->Verify == VerifyState::Running) {
    // The fresh outputs are what the user gets; they are compared with the
    // cached ones (and an entry that differs replaced, in storeOutputs).
    finishVerify(*State, State->Object);
    return true;
  }
  if (!Captured) {
    State->markUncacheable(OC_STAT_UNCACHEABLE_EXTRA_OUTPUT, Why);
    return true;
  }

  if (State->BackendDiagnosed) {
    State->markUncacheable(OC_STAT_UNCACHEABLE_BACKEND_DIAG,
                           "the optimizer or backend emitted a diagnostic");
    return true;
  }
  auto Elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      Clock::now() - State->PipelineStart);
  State->CompileTimeMs = static_cast<uint64_t>(Elapsed.count());
  // Stored at the end of the translation unit, when clang has closed the
  // outputs it writes after code generation (storeOutputs).
  State->StorePending = true;
  return true;
}

// End of the translation unit: every output is complete. On a hit, writes
// what clang closes after code generation; on a miss, stores the entry.
void storeOutputs(CompileState &State) {
  // A verified hit replaces a differing entry with every fresh output.
  bool Replacing = State.Verify == VerifyState::Mismatch && State.StorePending;
  if (State.Result == Outcome::Hit && State.Verify == VerifyState::Off) {
    std::string Why;
    if (!writeCachedSideOutputs(State, /*Late=*/true, Why))
      State.reportError(Why);
    return;
  }
  if (State.Result == Outcome::Lookup && State.BitcodeOutput) {
    // Handed to the launcher through the direct-mode record. The launcher
    // counts the outcome: it stores the output only when the record shows
    // clang wrote the command's own output (with -fembed-bitcode the
    // driver's first step writes a temporary .bc, which it declines).
    if (State.BackendDiagnosed)
      State.markUncacheable(OC_STAT_UNCACHEABLE_BACKEND_DIAG,
                            "the optimizer emitted a diagnostic");
    else
      State.LauncherStores = true;
    return;
  }
  if (!State.StorePending || (State.Result != Outcome::Lookup && !Replacing))
    return;
  State.StorePending = false;
  std::string Why;
  if (!captureLateSideOutputs(State, Why)) {
    if (!Replacing) // a verified hit stays the hit it was
      State.markUncacheable(OC_STAT_UNCACHEABLE_EXTRA_OUTPUT, Why);
    return;
  }
  std::vector<oc_entry_output> Outputs(1 + State.SideOutputs.size());
  oc_error Err{};
  oc_entry_output_set(&Outputs[0], OC_ENTRY_OBJECT, State.Object.data(),
                      State.Object.size(), false, &Err);
  for (size_t I = 0; I < State.SideOutputs.size(); ++I) {
    const SideOutput &Out = State.SideOutputs[I];
    oc_entry_output_set(&Outputs[I + 1], Out.Name.c_str(), Out.Bytes.data(),
                        Out.Absent ? 0 : Out.Bytes.size(), Out.Absent, &Err);
  }
  oc_entry_meta Meta{static_cast<uint64_t>(std::time(nullptr)),
                     State.CompileTimeMs};
  oc_store *Store = State.store(Err);
  oc_status Status = Store ? OC_OK : Err.status;
  if (Status == OC_OK)
    Status = oc_store_put_outputs(Store, &State.Key, Outputs.data(),
                                  Outputs.size(), &Meta, &Err);
  if (Status == OC_OK) // verify mode's evidence of what this compile saw
    (void)oc_store_put_record(Store, &State.Key, State.FactorRecord.data(),
                              State.FactorRecord.size(), nullptr);
  State.releaseStore(); // its warning, a fault the put survived
  if (Status != OC_OK) {
    // The outputs are already written: only the caching failed.
    State.warn(std::string("cannot store the object: ") + Err.message);
    if (!Replacing)
      State.Result = Outcome::Error;
    return;
  }
  if (!Replacing)
    State.Result = Outcome::Miss;
}

} // namespace
} // namespace objcache

static clang::FrontendPluginRegistry::Add<objcache::ObjcacheAction>
    RegisterAction("objcache", "compilation cache (see docs/)");

// The only symbol objcache.so exports: everything else is hidden so that
// lib/'s code cannot clash with symbols of clang or other plugins.
extern "C" LLVM_ATTRIBUTE_WEAK
    LLVM_ATTRIBUTE_VISIBILITY_DEFAULT ::llvm::PassPluginLibraryInfo
    llvmGetPassPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "objcache", OC_VERSION,
          objcache::registerCallbacks, objcache::preCodeGen};
}

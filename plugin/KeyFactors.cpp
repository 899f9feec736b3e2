//===- KeyFactors.cpp - The complete list of what goes into the cache key -===//
//
// The factors, in the order they are hashed (docs/key.md has the why):
//   scheme       key-scheme version
//   compiler     clang's version and the build identity of every shared
//                object loaded in the process (clang, libclang-cpp, libLLVM,
//                libc, libm, ...), computed once per process
//   objcache     objcache's version, commit and build identity
//   invocation   the canonical cc1 command line, from a copy of the
//                CompilerInvocation with only the groups that cannot change
//                the object beyond the IR reset
//   llvm-option  every registered LLVM cl::opt whose value differs from its
//                default
//   target       the TargetMachine as actually applied
//   pipeline     optimization level and PipelineTuningOptions
//   plugin       content hash of every other pass plugin and clang plugin
//   file         content hash of every file an option value names
//   module       hash of the module's bitcode at pipeline start
//
//===----------------------------------------------------------------------===//
#include "KeyFactors.h"
#include "CompileState.h"
#include "SideOutputs.h"

extern "C" {
#include "objcache/version.h"
}

#include "clang/Basic/Version.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/CompilerInvocation.h"
#include "clang/Lex/HeaderSearchOptions.h"
#include "clang/Lex/PreprocessorOptions.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Plugins/PassPlugin.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <algorithm>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <map>
#include <mutex>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace llvm;

namespace objcache {
namespace {

std::string hexOf(const oc_digest &Digest) {
  char Hex[OC_DIGEST_HEX_SIZE];
  oc_digest_to_hex(&Digest, Hex);
  return Hex;
}

void add(oc_key_builder *Key, const char *Factor, const std::string &Name,
         StringRef Value) {
  oc_key_add(Key, Factor, Name.c_str(), Value.data(), Value.size());
}

//===-- compiler and objcache: build identities of loaded objects ---------===//

struct LoadedObject {
  std::string Path;
  std::string Identity; // "build-id:<hex>" or "content:<hex>"
};

std::string buildIdOf(const dl_phdr_info *Info) {
  for (int I = 0; I < Info->dlpi_phnum; ++I) {
    const ElfW(Phdr) &Ph = Info->dlpi_phdr[I];
    if (Ph.p_type != PT_NOTE)
      continue;
    const char *Note =
        reinterpret_cast<const char *>(Info->dlpi_addr + Ph.p_vaddr);
    size_t Left = Ph.p_memsz;
    while (Left >= sizeof(ElfW(Nhdr))) {
      auto *Header = reinterpret_cast<const ElfW(Nhdr) *>(Note);
      size_t NameSize = (Header->n_namesz + 3) & ~size_t(3);
      size_t DescSize = (Header->n_descsz + 3) & ~size_t(3);
      size_t Total = sizeof(ElfW(Nhdr)) + NameSize + DescSize;
      if (Total > Left)
        break;
      const char *Name = Note + sizeof(ElfW(Nhdr));
      if (Header->n_type == NT_GNU_BUILD_ID && Header->n_namesz == 4 &&
          memcmp(Name, "GNU", 4) == 0)
        return "build-id:" +
               toHex(StringRef(Name + NameSize, Header->n_descsz), true);
      Note += Total;
      Left -= Total;
    }
  }
  return "";
}

int collectObject(dl_phdr_info *Info, size_t, void *Data) {
  auto *Objects = static_cast<std::vector<LoadedObject> *>(Data);
  std::string Path = Info->dlpi_name ? Info->dlpi_name : "";
  if (Path.empty()) {
    if (!Objects->empty())
      return 0; // only the first unnamed object is the executable
    char Exe[PATH_MAX];
    ssize_t N = readlink("/proc/self/exe", Exe, sizeof Exe - 1);
    Path = N > 0 ? std::string(Exe, N) : "/proc/self/exe";
  }
  // The vDSO belongs to the kernel, not to the compiler: leaving it out
  // keeps keys shareable across machines that run different kernels.
  if (StringRef(Path).starts_with("linux-vdso") ||
      StringRef(Path).starts_with("linux-gate"))
    return 0;
  Objects->push_back({Path, buildIdOf(Info)});
  return 0;
}

std::string contentIdentity(const std::string &Path) {
  oc_digest Digest;
  oc_error Err;
  if (oc_hash_file(Path.c_str(), &Digest, &Err) != OC_OK)
    return "";
  return "content:" + hexOf(Digest);
}

std::string ownPath() {
  Dl_info Info;
  if (dladdr(reinterpret_cast<void *>(&ownPath), &Info) && Info.dli_fname)
    return Info.dli_fname;
  return "";
}

// Computed once per process: the loaded objects do not change between the
// compilations of one process, and reading notes costs microseconds anyway.
struct ProcessIdentity {
  std::vector<LoadedObject> Compiler; // everything but objcache itself
  LoadedObject Objcache;
  bool Complete = true;
};

const ProcessIdentity &processIdentity() {
  static ProcessIdentity Identity;
  static std::once_flag Once;
  std::call_once(Once, [] {
    std::vector<LoadedObject> Objects;
    dl_iterate_phdr(collectObject, &Objects);
    std::string Own = ownPath();
    for (LoadedObject &Object : Objects) {
      if (Object.Identity.empty())
        Object.Identity = contentIdentity(Object.Path);
      if (Object.Identity.empty())
        Identity.Complete = false;
      if (Object.Path == Own)
        Identity.Objcache = Object;
      else
        Identity.Compiler.push_back(Object);
    }
    // Keyed by file name, not directory, so that the same packages
    // installed anywhere give the same key; the executable stays first.
    if (!Identity.Compiler.empty())
      std::sort(Identity.Compiler.begin() + 1, Identity.Compiler.end(),
                [](const LoadedObject &A, const LoadedObject &B) {
                  return std::make_pair(sys::path::filename(A.Path),
                                        StringRef(A.Identity)) <
                         std::make_pair(sys::path::filename(B.Path),
                                        StringRef(B.Identity));
                });
  });
  return Identity;
}

//===-- invocation: the canonical cc1 command line ------------------------===//

// Option groups reset before generating the command line. Each one's whole
// effect on the object is already in the module's IR, or it has none; see
// docs/key.md ("What is left out, and why").
std::vector<std::string> canonicalInvocation(clang::CompilerInstance &CI) {
  clang::CompilerInvocation Copy(CI.getInvocation());
  // Dependency files (-MD, -MF, -MT): outputs beside the object.
  Copy.getDependencyOutputOpts() = clang::DependencyOutputOptions();
  // Warning flags, colors, error limits: how diagnostics are rendered.
  Copy.getDiagnosticOpts() = clang::DiagnosticOptions();
  // Macros, -include, include paths: they act only through the IR.
  Copy.getPreprocessorOpts() = clang::PreprocessorOptions();
  Copy.getHeaderSearchOpts() = clang::HeaderSearchOptions();
  clang::FrontendOptions &FE = Copy.getFrontendOpts();
  // Where the object goes does not change its bytes.
  FE.OutputFile.clear();
  // The input's name and contents are in the IR (source_filename, code).
  for (clang::FrontendInputFile &Input : FE.Inputs)
    Input =
        clang::FrontendInputFile("<input>", Input.getKind(), Input.isSystem());
  // Plugins are identified by content in the "plugin" factor, not by path;
  // their arguments (PluginArgs) stay in.
  FE.Plugins.clear();
  Copy.getCodeGenOpts().PassPlugins.clear();
  // The working directory and the path maps: their only readers are the
  // front end's debug info (DICompileUnit and DIFile directories), coverage
  // mapping, and __FILE__-style strings, all in the module (factor 11).
  // The backend is given neither (initTargetOptions in clang's
  // BackendUtil.cpp), so MC never sees a compilation directory but the
  // DICompileUnit's. Without them, checkouts whose objects are identical
  // (no -g, or -g with -ffile-prefix-map=$PWD=.) share entries.
  clang::CodeGenOptions &CG = Copy.getCodeGenOpts();
  CG.DebugCompilationDir.clear();
  CG.CoverageCompilationDir.clear();
  CG.DebugPrefixMap.clear();
  CG.CoveragePrefixMap.clear();
  Copy.getLangOpts().MacroPrefixMap.clear();
  return Copy.getCC1CommandLine();
}

//===-- llvm-option: cl::opt values that differ from their defaults -------===//

// printOptionValue() only prints to llvm::outs(). The dump is captured by
// pointing file descriptor 1 at a memory file for the few milliseconds it
// takes, under a process-wide lock; llvm::outs() is flushed on both sides so
// none of the user's output is held back or captured.
std::mutex OptionDumpMutex;

bool dumpChangedOptions(std::vector<std::pair<std::string, std::string>> &Out,
                        std::string &Error) {
  std::lock_guard<std::mutex> Lock(OptionDumpMutex);
  auto &Registered = cl::getRegisteredOptions();
  std::vector<std::pair<StringRef, cl::Option *>> Options;
  size_t Width = 0;
  for (auto &Entry : Registered) {
    cl::Option *O = Entry.second;
    // Parsing -mllvm adds alias entries under other names: keep each option
    // once, under its own name.
    if (Entry.first != O->ArgStr)
      continue;
    Options.push_back({Entry.first, O});
    Width = std::max(Width, O->getOptionWidth());
  }

  int Mem = memfd_create("objcache-llvm-options", MFD_CLOEXEC);
  if (Mem < 0) {
    Error = std::string("cannot capture LLVM options: memfd_create: ") +
            strerror(errno);
    return false;
  }
  outs().flush();
  int Saved = dup(STDOUT_FILENO);
  if (dup2(Mem, STDOUT_FILENO) < 0) {
    Error =
        std::string("cannot capture LLVM options: dup2: ") + strerror(errno);
    close(Mem);
    if (Saved >= 0)
      close(Saved);
    return false;
  }
  // A byte that no option name or value contains separates the options.
  for (auto &[Name, O] : Options) {
    outs() << '\x01' << Name << '\n';
    // The width must be at least the option's own, or the padding
    // underflows and prints forever (see shared notes).
    O->printOptionValue(Width + 1, /*Force=*/false);
  }
  outs().flush();
  if (Saved >= 0) {
    dup2(Saved, STDOUT_FILENO);
    close(Saved);
  } else {
    close(STDOUT_FILENO);
  }

  off_t Size = lseek(Mem, 0, SEEK_END);
  std::string Text(Size > 0 ? Size : 0, '\0');
  if (Size > 0 && pread(Mem, Text.data(), Size, 0) != Size) {
    close(Mem);
    Error = "cannot capture LLVM options: short read";
    return false;
  }
  close(Mem);

  SmallVector<StringRef, 0> Chunks;
  StringRef(Text).split(Chunks, '\x01', -1, /*KeepEmpty=*/false);
  for (StringRef Chunk : Chunks) {
    auto [Name, Printed] = Chunk.split('\n');
    if (Printed.empty() || (Printed = Printed.trim()).empty())
      continue; // at its default
    // "-name   = value (default: other)": keep the value alone.
    size_t Eq = Printed.find("= ");
    StringRef Value =
        Eq == StringRef::npos ? Printed : Printed.drop_front(Eq + 2);
    size_t Default = Value.rfind(" (default: ");
    if (Default != StringRef::npos)
      Value = Value.take_front(Default);
    Out.push_back({Name.str(), Value.trim().str()});
  }
  // Sorted here rather than before printing: a few hundred options print a
  // value, out of thousands registered.
  std::sort(Out.begin(), Out.end());
  return true;
}

//===-- target ------------------------------------------------------------===//

void addTarget(oc_key_builder *Key, const CompileState &State,
               const TargetMachine &TM) {
  const char *F = "target";
  add(Key, F, "triple", TM.getTargetTriple().str());
  add(Key, F, "cpu", TM.getTargetCPU());
  add(Key, F, "features", TM.getTargetFeatureString());
  oc_key_add_u64(Key, F, "relocation-model", TM.getRelocationModel());
  oc_key_add_u64(Key, F, "code-model",
                 static_cast<unsigned>(TM.getCodeModel()));
  oc_key_add_u64(Key, F, "codegen-opt-level",
                 static_cast<unsigned>(TM.getOptLevel()));
  oc_key_add_u64(Key, F, "file-type",
                 State.CI->getFrontendOpts().ProgramAction ==
                         clang::frontend::EmitAssembly
                     ? 0
                     : 1);
  const TargetOptions &O = TM.Options;
#define OC_TARGET_FIELD(Name)                                                  \
  oc_key_add_u64(Key, F, #Name, static_cast<uint64_t>(O.Name))
  OC_TARGET_FIELD(NoInfsFPMath);
  OC_TARGET_FIELD(NoNaNsFPMath);
  OC_TARGET_FIELD(NoTrappingFPMath);
  OC_TARGET_FIELD(NoSignedZerosFPMath);
  OC_TARGET_FIELD(EnableAIXExtendedAltivecABI);
  OC_TARGET_FIELD(HonorSignDependentRoundingFPMathOption);
  OC_TARGET_FIELD(NoZerosInBSS);
  OC_TARGET_FIELD(GuaranteedTailCallOpt);
  OC_TARGET_FIELD(StackSymbolOrdering);
  OC_TARGET_FIELD(EnableFastISel);
  OC_TARGET_FIELD(EnableGlobalISel);
  OC_TARGET_FIELD(GlobalISelAbort);
  OC_TARGET_FIELD(UseInitArray);
  OC_TARGET_FIELD(DisableIntegratedAS);
  OC_TARGET_FIELD(FunctionSections);
  OC_TARGET_FIELD(DataSections);
  OC_TARGET_FIELD(IgnoreXCOFFVisibility);
  OC_TARGET_FIELD(XCOFFTracebackTable);
  OC_TARGET_FIELD(UniqueSectionNames);
  OC_TARGET_FIELD(UniqueBasicBlockSectionNames);
  OC_TARGET_FIELD(SeparateNamedSections);
  OC_TARGET_FIELD(TrapUnreachable);
  OC_TARGET_FIELD(NoTrapAfterNoreturn);
  OC_TARGET_FIELD(EmulatedTLS);
  OC_TARGET_FIELD(EnableTLSDESC);
  OC_TARGET_FIELD(EnableIPRA);
  OC_TARGET_FIELD(EmitStackSizeSection);
  OC_TARGET_FIELD(EnableMachineOutliner);
  OC_TARGET_FIELD(EnableMachineFunctionSplitter);
  OC_TARGET_FIELD(EnableStaticDataPartitioning);
  OC_TARGET_FIELD(SupportsDefaultOutlining);
  OC_TARGET_FIELD(EmitAddrsig);
  OC_TARGET_FIELD(BBAddrMap);
  OC_TARGET_FIELD(BBSections);
  OC_TARGET_FIELD(EmitCallGraphSection);
  OC_TARGET_FIELD(EmitCallSiteInfo);
  OC_TARGET_FIELD(SupportsDebugEntryValues);
  OC_TARGET_FIELD(EnableDebugEntryValues);
  OC_TARGET_FIELD(ValueTrackingVariableLocations);
  OC_TARGET_FIELD(ForceDwarfFrameSection);
  OC_TARGET_FIELD(XRayFunctionIndex);
  OC_TARGET_FIELD(DebugStrictDwarf);
  OC_TARGET_FIELD(Hotpatch);
  OC_TARGET_FIELD(PPCGenScalarMASSEntries);
  OC_TARGET_FIELD(JMCInstrument);
  OC_TARGET_FIELD(EnableCFIFixup);
  OC_TARGET_FIELD(MisExpect);
  OC_TARGET_FIELD(XCOFFReadOnlyPointers);
  OC_TARGET_FIELD(VerifyArgABICompliance);
  OC_TARGET_FIELD(LoopAlignment);
  OC_TARGET_FIELD(FloatABIType);
  OC_TARGET_FIELD(AllowFPOpFusion);
  OC_TARGET_FIELD(ThreadModel);
  OC_TARGET_FIELD(EABIVersion);
  OC_TARGET_FIELD(DebuggerTuning);
  OC_TARGET_FIELD(VecLib);
  OC_TARGET_FIELD(ExceptionModel);
  OC_TARGET_FIELD(MCOptions.MCRelaxAll);
  OC_TARGET_FIELD(MCOptions.MCNoExecStack);
  OC_TARGET_FIELD(MCOptions.MCFatalWarnings);
  OC_TARGET_FIELD(MCOptions.MCNoWarn);
  OC_TARGET_FIELD(MCOptions.MCNoDeprecatedWarn);
  OC_TARGET_FIELD(MCOptions.MCNoTypeCheck);
  OC_TARGET_FIELD(MCOptions.MCSaveTempLabels);
  OC_TARGET_FIELD(MCOptions.MCIncrementalLinkerCompatible);
  OC_TARGET_FIELD(MCOptions.FDPIC);
  OC_TARGET_FIELD(MCOptions.ShowMCEncoding);
  OC_TARGET_FIELD(MCOptions.ShowMCInst);
  OC_TARGET_FIELD(MCOptions.AsmVerbose);
  OC_TARGET_FIELD(MCOptions.PreserveAsmComments);
  OC_TARGET_FIELD(MCOptions.Crel);
  OC_TARGET_FIELD(MCOptions.ImplicitMapSyms);
  OC_TARGET_FIELD(MCOptions.OutputAsmVariant.value_or(~0u));
  OC_TARGET_FIELD(MCOptions.EmitDwarfUnwind);
  OC_TARGET_FIELD(MCOptions.DwarfVersion);
  OC_TARGET_FIELD(MCOptions.MCUseDwarfDirectory);
  OC_TARGET_FIELD(MCOptions.CompressDebugSections);
  OC_TARGET_FIELD(MCOptions.EmitCompactUnwindNonCanonical);
  OC_TARGET_FIELD(MCOptions.EmitSFrameUnwind);
  OC_TARGET_FIELD(MCOptions.PPCUseFullRegisterNames);
#undef OC_TARGET_FIELD
  add(Key, F, "StackUsageOutput", O.StackUsageOutput);
  add(Key, F, "ObjectFilenameForDebug", O.ObjectFilenameForDebug);
  add(Key, F, "MCOptions.ABIName", O.MCOptions.ABIName);
  add(Key, F, "MCOptions.AssemblyLanguage", O.MCOptions.AssemblyLanguage);
  add(Key, F, "MCOptions.SplitDwarfFile", O.MCOptions.SplitDwarfFile);
  add(Key, F, "MCOptions.AsSecureLogFile", O.MCOptions.AsSecureLogFile);
  // The flattened command line (with -o, -D, -I...) is read only by the
  // CodeView writer (LF_BUILDINFO), so it can change only COFF objects.
  if (TM.getTargetTriple().isOSBinFormatCOFF()) {
    add(Key, F, "MCOptions.CommandlineArgs", O.MCOptions.CommandlineArgs);
    add(Key, F, "MCOptions.Argv0", O.MCOptions.Argv0);
  }
  // MCOptions.IASSearchPaths (every -I, -iquote and system include
  // directory) is left out: the integrated assembler reads it only for
  // .include and .incbin in inline assembly, and modules whose inline
  // assembly could run those are not cached at all (InlineAsmRule.h), since
  // the files they read are not in the IR.
  for (const std::string &Option : O.MCOptions.InstPrinterOptions)
    add(Key, F, "MCOptions.InstPrinterOptions", Option);
  if (O.BBSectionsFuncListBuf)
    add(Key, F, "BBSectionsFuncList",
        hexOf(oc_hash_bytes(O.BBSectionsFuncListBuf->getBufferStart(),
                            O.BBSectionsFuncListBuf->getBufferSize())));
}

//===-- pipeline ----------------------------------------------------------===//

void addPipeline(oc_key_builder *Key, const PipelineInfo &Pipeline) {
  const char *F = "pipeline";
  oc_key_add_u64(Key, F, "speedup-level", Pipeline.Level.getSpeedupLevel());
  oc_key_add_u64(Key, F, "size-level", Pipeline.Level.getSizeLevel());
  const PipelineTuningOptions &P = Pipeline.PTO;
#define OC_PTO_FIELD(Name)                                                     \
  oc_key_add_u64(Key, F, #Name, static_cast<uint64_t>(P.Name))
  OC_PTO_FIELD(LoopInterleaving);
  OC_PTO_FIELD(LoopVectorization);
  OC_PTO_FIELD(SLPVectorization);
  OC_PTO_FIELD(LoopUnrolling);
  OC_PTO_FIELD(LoopInterchange);
  OC_PTO_FIELD(LoopFusion);
  OC_PTO_FIELD(ForgetAllSCEVInLoopUnroll);
  OC_PTO_FIELD(LicmMssaOptCap);
  OC_PTO_FIELD(LicmMssaNoAccForPromotionCap);
  OC_PTO_FIELD(CallGraphProfile);
  OC_PTO_FIELD(UnifiedLTO);
  OC_PTO_FIELD(MergeFunctions);
  OC_PTO_FIELD(InlinerThreshold);
  OC_PTO_FIELD(EagerlyInvalidateAnalyses);
  OC_PTO_FIELD(DevirtualizeSpeculatively);
#undef OC_PTO_FIELD
}

//===-- plugin: other plugins by content ----------------------------------===//

bool addPlugins(oc_key_builder *Key, const clang::CompilerInstance &CI,
                std::string &Error) {
  std::string Own = ownPath();
  std::vector<std::string> Paths;
  for (const std::unique_ptr<PassPlugin> &Plugin : CI.getPassPlugins())
    Paths.push_back(Plugin->getFilename().str());
  for (const std::string &Path : CI.getFrontendOpts().Plugins)
    Paths.push_back(Path);
  for (const std::string &Path : CI.getCodeGenOpts().PassPlugins)
    Paths.push_back(Path);
  std::sort(Paths.begin(), Paths.end());
  Paths.erase(std::unique(Paths.begin(), Paths.end()), Paths.end());
  struct stat OwnStat, PathStat;
  bool HaveOwn = !Own.empty() && stat(Own.c_str(), &OwnStat) == 0;
  for (const std::string &Path : Paths) {
    if (stat(Path.c_str(), &PathStat) != 0) {
      Error = "cannot stat plugin " + Path + ": " + strerror(errno);
      return false;
    }
    if (HaveOwn && PathStat.st_dev == OwnStat.st_dev &&
        PathStat.st_ino == OwnStat.st_ino)
      continue; // objcache itself: factor "objcache"
    std::string Identity = contentIdentity(Path);
    if (Identity.empty()) {
      Error = "cannot read plugin " + Path;
      return false;
    }
    add(Key, "plugin", sys::path::filename(Path).str(), Identity);
  }
  return true;
}

//===-- file: contents of files that option values name -------------------===//

// Options whose value names a file the compilation *writes*: hashing it
// would make the key depend on a previous build's output.
bool namesOutputFile(StringRef Arg) {
  static const char *const OutputOptions[] = {
      "-coverage-data-file=",
      "-coverage-notes-file=",
      "-ftime-trace=",
      "-stats-file=",
      "-opt-record-file=",
      "-split-dwarf-output=",
      "-split-dwarf-file=",
      "-stack-usage-file=",
      "-dependency-file=",
      "-header-include-file=",
      "-diagnostic-log-file=",
      "-fprofile-instrument-path=",
  };
  for (const char *Prefix : OutputOptions)
    if (Arg.starts_with(Prefix))
      return true;
  return false;
}

struct FileFactorScan {
  dev_t InputDev = 0;
  ino_t InputIno = 0;
  bool HaveInput = false;
  std::vector<std::pair<std::string, std::string>> Found; // path -> identity
  std::string Error;

  // Every candidate: the argument itself and each suffix after an '='
  // (-fprofile-instrument-use-path=P, -fbasic-block-sections=list=P).
  void scan(StringRef Arg) {
    if (namesOutputFile(Arg))
      return;
    consider(Arg);
    for (size_t Eq = Arg.find('='); Eq != StringRef::npos;
         Eq = Arg.find('=', Eq + 1))
      consider(Arg.drop_front(Eq + 1));
  }

  void consider(StringRef Candidate) {
    if (Candidate.empty() || Candidate.starts_with("-") || !Error.empty())
      return;
    // Most LLVM option values are numbers or "*cannot print option value*":
    // no need to ask the file system about those.
    double Number;
    if (Candidate.starts_with("*") || !Candidate.getAsDouble(Number))
      return;
    std::string Path = Candidate.str();
    struct stat St;
    if (stat(Path.c_str(), &St) != 0 || !S_ISREG(St.st_mode))
      return;
    // The main input is in the key through the IR (comment-only edits
    // must hit), e.g. -main-file-name names it relative to the cwd.
    if (HaveInput && St.st_dev == InputDev && St.st_ino == InputIno)
      return;
    for (const auto &Entry : Found)
      if (Entry.first == Path)
        return;
    std::string Identity = contentIdentity(Path);
    if (Identity.empty()) {
      Error = "cannot read " + Path + ", named by option " + Candidate.str();
      return;
    }
    Found.push_back({Path, Identity});
  }
};

//===-- module ------------------------------------------------------------===//

// Feeds the bitcode writer's output straight into the hasher.
class HashingStream : public raw_ostream {
public:
  HashingStream() { oc_hasher_init(&Hasher); }
  ~HashingStream() override { flush(); }
  oc_digest digest() {
    flush();
    return oc_hasher_final(&Hasher);
  }

private:
  void write_impl(const char *Ptr, size_t Size) override {
    oc_hasher_update(&Hasher, Ptr, Size);
    Written += Size;
  }
  uint64_t current_pos() const override { return Written; }

  oc_hasher Hasher;
  uint64_t Written = 0;
};

} // namespace

bool addKeyFactors(oc_key_builder *Key, const CompileState &State, Module &M,
                   const PipelineInfo &Pipeline,
                   std::vector<std::string> &NamedFiles, std::string &Error) {
  clang::CompilerInstance &CI = *State.CI;

  oc_key_add_u64(Key, "scheme", "version", OC_KEY_SCHEME_VERSION);

  const ProcessIdentity &Identity = processIdentity();
  if (!Identity.Complete) {
    Error = "cannot identify the compiler build";
    return false;
  }
  add(Key, "compiler", "version", clang::getClangFullVersion());
  for (const LoadedObject &Object : Identity.Compiler)
    add(Key, "compiler", sys::path::filename(Object.Path).str(),
        Object.Identity);

  add(Key, "objcache", "version", OC_VERSION);
  add(Key, "objcache", "commit", OC_GIT_COMMIT);
  add(Key, "objcache", "build", Identity.Objcache.Identity);

  std::vector<std::string> Args = canonicalInvocation(CI);
  for (const std::string &Arg : Args)
    add(Key, "invocation", "arg", Arg);

  std::vector<std::pair<std::string, std::string>> Options;
  if (!dumpChangedOptions(Options, Error))
    return false;
  for (const auto &[Name, Value] : Options)
    add(Key, "llvm-option", Name, Value);

  addTarget(Key, State, *Pipeline.TM);
  addPipeline(Key, Pipeline);
  if (!addPlugins(Key, CI, Error))
    return false;

  addSideOutputFactors(Key, State, M);

  FileFactorScan Files;
  struct stat Input;
  if (!State.SourcePath.empty() &&
      stat(State.SourcePath.c_str(), &Input) == 0) {
    Files.HaveInput = true;
    Files.InputDev = Input.st_dev;
    Files.InputIno = Input.st_ino;
  }
  for (size_t I = 0; I < Args.size(); ++I) {
    // The value of a written-file option given as a separate argument
    // (-split-dwarf-file X, -stack-usage-file X, -opt-record-file X).
    if (I > 0 && namesOutputFile(Args[I - 1] + "="))
      continue;
    Files.scan(Args[I]);
  }
  for (const auto &Option : Options)
    Files.scan(Option.second);
  if (!Files.Error.empty()) {
    Error = Files.Error;
    return false;
  }
  for (const auto &[Path, FileIdentity] : Files.Found) {
    add(Key, "file", Path, FileIdentity);
    NamedFiles.push_back(Path);
  }

  // Inline assembly carries !srcloc metadata: raw offsets into the source,
  // used only to point diagnostics at the asm string. They shift whenever
  // anything earlier in the translation unit grows (a comment in a header),
  // yet cannot change the object, and a compile with a backend diagnostic
  // is never stored. They are left out of the hash, then put back.
  // The kind is looked up, never registered: a new kind would land in the
  // bitcode of an -emit-llvm or -flto compile.
  SmallVector<StringRef, 64> Kinds;
  M.getContext().getMDKindNames(Kinds);
  auto Kind = llvm::find(Kinds, "srcloc");
  unsigned SrcLoc = Kind == Kinds.end() ? 0 : unsigned(Kind - Kinds.begin());
  std::vector<std::pair<Instruction *, MDNode *>> SrcLocs;
  for (Function &F : SrcLoc ? M.functions() : make_range(M.end(), M.end()))
    for (BasicBlock &BB : F)
      for (Instruction &I : BB)
        if (auto *Call = dyn_cast<CallBase>(&I); Call && Call->isInlineAsm())
          if (MDNode *Node = I.getMetadata(SrcLoc)) {
            SrcLocs.push_back({&I, Node});
            I.setMetadata(SrcLoc, nullptr);
          }
  HashingStream Bitcode;
  WriteBitcodeToFile(M, Bitcode);
  for (auto &[I, Node] : SrcLocs)
    I->setMetadata(SrcLoc, Node);
  add(Key, "module", "bitcode", hexOf(Bitcode.digest()));
  // Already in the bitcode; named apart so that --explain can say that a
  // -g compile differs only by its working directory (DW_AT_comp_dir).
  for (const DICompileUnit *CU : M.debug_compile_units())
    add(Key, "module", "comp-dir", CU->getDirectory());
  return true;
}

} // namespace objcache

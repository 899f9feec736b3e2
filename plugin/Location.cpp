//===- Location.cpp - Does the module name where the compile ran? ---------===//
//
// See Location.h. Strings reach an ELF object from the module through
// constant data (string literals, __FILE__, source locations of
// sanitizers and assertions), metadata (debug info: DW_AT_comp_dir, file
// names, producer flags; llvm.commandline), the module's own names
// (source_filename, the identifier sanitizers use) and inline assembly.
// All of them are searched; metadata by walking every node reachable from
// named metadata, globals, functions, instructions and debug records.
//
//===----------------------------------------------------------------------===//
#include "Location.h"

#include "clang/Frontend/CompilerInstance.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/DebugProgramInstruction.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Metadata.h"
#include "llvm/IR/Module.h"
#include "llvm/Plugins/PassPlugin.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Target/TargetMachine.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace llvm;

namespace objcache {
namespace {

class Search {
public:
  explicit Search(const std::vector<std::string> &Needles)
      : Needles(Needles) {}

  bool in(StringRef Text) const {
    for (const std::string &Needle : Needles)
      if (Text.contains(Needle))
        return true;
    return false;
  }

  // Both walks keep their own work list rather than recursing: debug
  // info and constant expressions can nest thousands deep.
  bool constant(const Constant *Root) {
    SmallVector<const Constant *, 16> Work{Root};
    while (!Work.empty()) {
      const Constant *C = Work.pop_back_val();
      if (!C || !SeenConstants.insert(C).second)
        continue;
      if (const auto *Data = dyn_cast<ConstantDataSequential>(C)) {
        if (in(Data->getRawDataValues()))
          return true;
        continue;
      }
      if (isa<GlobalValue>(C))
        continue; // its own initializer is searched on its own
      for (const Use &Op : C->operands())
        Work.push_back(dyn_cast<Constant>(Op.get()));
    }
    return false;
  }

  bool metadata(const Metadata *Root) {
    SmallVector<const Metadata *, 16> Work{Root};
    while (!Work.empty()) {
      const Metadata *MD = Work.pop_back_val();
      if (!MD || !SeenMetadata.insert(MD).second)
        continue;
      if (const auto *S = dyn_cast<MDString>(MD)) {
        if (in(S->getString()))
          return true;
      } else if (const auto *V = dyn_cast<ValueAsMetadata>(MD)) {
        if (constant(dyn_cast<Constant>(V->getValue())))
          return true;
      } else if (const auto *L = dyn_cast<DIArgList>(MD)) {
        for (const ValueAsMetadata *Arg : L->getArgs())
          Work.push_back(Arg);
      } else if (const auto *N = dyn_cast<MDNode>(MD)) {
        for (const MDOperand &Op : N->operands())
          Work.push_back(Op.get());
      }
    }
    return false;
  }

  bool attachments(const GlobalObject &G) {
    SmallVector<std::pair<unsigned, MDNode *>, 4> MDs;
    G.getAllMetadata(MDs);
    for (auto &[Kind, Node] : MDs)
      if (metadata(Node))
        return true;
    return false;
  }

private:
  const std::vector<std::string> &Needles;
  DenseSet<const Constant *> SeenConstants;
  DenseSet<const Metadata *> SeenMetadata;
};

void addNeedle(std::vector<std::string> &Needles, StringRef Path) {
  // "/" or "." would be found everywhere; a relative output name is still
  // a useful needle (-frecord-command-line records it as given).
  Path = Path.rtrim('/');
  if (Path.empty() || Path == "." || Path == "-")
    return;
  for (const std::string &Have : Needles)
    if (Have == Path)
      return;
  Needles.push_back(Path.str());
}

// Whether the module's source file name can reach the object only as its
// base name: for ELF the AsmPrinter's .file directive (the STT_FILE symbol)
// takes the file name alone, so /a/x.c and /b/x.c give the same object.
// Passes that read the whole name are ruled out: IR profile instrumentation
// and use (a local function's profile name is "<source>;<name>"),
// sanitizers (ASan's global descriptors hold the module identifier),
// unique internal linkage names (a hash of it), and other plugins, which
// could read anything.
bool sourceNameOnlyAsBaseName(const Module &M, const TargetMachine &TM,
                              bool OtherPlugins) {
  if (OtherPlugins || !TM.getTargetTriple().isOSBinFormatELF() ||
      TM.getPGOOption())
    return false;
  for (const Function &F : M) {
    if (F.hasFnAttribute(Attribute::SanitizeAddress) ||
        F.hasFnAttribute(Attribute::SanitizeHWAddress) ||
        F.hasFnAttribute(Attribute::SanitizeMemory) ||
        F.hasFnAttribute(Attribute::SanitizeThread) ||
        F.hasFnAttribute(Attribute::SanitizeMemTag) ||
        F.hasFnAttribute(Attribute::SanitizeType) ||
        F.getName().contains(".__uniq."))
      return false;
  }
  for (const GlobalVariable &G : M.globals())
    if (G.hasSanitizerMetadata() || G.getName().contains(".__uniq."))
      return false;
  return true;
}

} // namespace

bool otherPluginsLoaded(const clang::CompilerInstance &CI) {
  Dl_info Info;
  struct stat Own, Other;
  if (!dladdr(reinterpret_cast<void *>(&otherPluginsLoaded), &Info) ||
      !Info.dli_fname || stat(Info.dli_fname, &Own) != 0)
    return true;
  std::vector<std::string> Paths(CI.getFrontendOpts().Plugins);
  for (const std::string &Path : CI.getCodeGenOpts().PassPlugins)
    Paths.push_back(Path);
  for (const std::unique_ptr<PassPlugin> &Plugin : CI.getPassPlugins())
    Paths.push_back(Plugin->getFilename().str());
  for (const std::string &Path : Paths)
    if (stat(Path.c_str(), &Other) != 0 || Other.st_dev != Own.st_dev ||
        Other.st_ino != Own.st_ino)
      return true;
  return false;
}

std::vector<std::string> locationNeedles(const clang::CompilerInstance &CI,
                                         const char *BaseDirs) {
  std::vector<std::string> Needles;
  SmallString<256> Cwd;
  if (!sys::fs::current_path(Cwd)) // $PWD when it is the same directory
    addNeedle(Needles, Cwd);
  char Physical[4096];
  if (getcwd(Physical, sizeof Physical))
    addNeedle(Needles, Physical);
  for (StringRef Dirs = BaseDirs ? BaseDirs : ""; !Dirs.empty();) {
    auto [Dir, Rest] = Dirs.split(':');
    addNeedle(Needles, Dir);
    Dirs = Rest;
  }
  addNeedle(Needles, CI.getFrontendOpts().OutputFile);
  addNeedle(Needles, CI.getDependencyOutputOpts().OutputFile);
  return Needles;
}

std::string moduleNamesLocation(const Module &M, const TargetMachine &TM,
                                bool OtherPlugins,
                                const std::vector<std::string> &Needles) {
  Search S(Needles);
  // Options whose effect on the object is a path that is not in the module.
  const TargetOptions &O = TM.Options;
  if (!O.ObjectFilenameForDebug.empty() || !O.MCOptions.SplitDwarfFile.empty())
    return "object or split DWARF file name";
  if (TM.getTargetTriple().isOSBinFormatCOFF())
    return "CodeView build record"; // LF_BUILDINFO: directory, command line
  if ((S.in(M.getSourceFileName()) || S.in(M.getModuleIdentifier())) &&
      !sourceNameOnlyAsBaseName(M, TM, OtherPlugins))
    return "source file name";
  // Coverage mapping keeps its file names compressed: not searchable, and
  // they hold the coverage compilation directory.
  for (const GlobalVariable &G : M.globals())
    if (G.getName().starts_with("__llvm_coverage") ||
        G.getName().starts_with("__covrec_") ||
        G.getSection().contains("covmap") || G.getSection().contains("covfun"))
      return "coverage mapping";
  if (S.in(M.getModuleInlineAsm()))
    return "module assembly";
  for (const NamedMDNode &Named : M.named_metadata())
    for (const MDNode *Node : Named.operands())
      if (S.metadata(Node))
        return Named.getName().starts_with("llvm.dbg")
                   ? std::string("debug info")
                   : "metadata (" + Named.getName().str() + ")";
  for (const GlobalVariable &G : M.globals()) {
    if (G.hasInitializer() && S.constant(G.getInitializer()))
      return "a constant string";
    if (S.attachments(G))
      return "debug info";
    if (S.in(G.getName()) || S.in(G.getSection()))
      return "a global's name or section";
  }
  for (const Function &F : M) {
    if (S.attachments(F))
      return "debug info";
    if (S.in(F.getName()) || S.in(F.getSection()))
      return "a function's name or section";
    for (const BasicBlock &BB : F)
      for (const Instruction &I : BB) {
        SmallVector<std::pair<unsigned, MDNode *>, 4> MDs;
        I.getAllMetadata(MDs);
        for (auto &[Kind, Node] : MDs)
          if (S.metadata(Node))
            return "debug info";
        for (const DbgRecord &R : I.getDbgRecordRange()) {
          if (S.metadata(R.getDebugLoc().getAsMDNode()))
            return "debug info";
          if (const auto *V = dyn_cast<DbgVariableRecord>(&R))
            if (S.metadata(V->getRawVariable()) ||
                S.metadata(V->getRawLocation()))
              return "debug info";
          if (const auto *L = dyn_cast<DbgLabelRecord>(&R))
            if (S.metadata(L->getLabel()))
              return "debug info";
        }
        for (const Use &Op : I.operands()) {
          if (const auto *Asm = dyn_cast<InlineAsm>(Op.get())) {
            if (S.in(Asm->getAsmString()))
              return "inline assembly";
          } else if (const auto *C = dyn_cast<Constant>(Op.get());
                     C && !isa<GlobalValue>(C) && S.constant(C)) {
            return "a constant string";
          } else if (const auto *MV = dyn_cast<MetadataAsValue>(Op.get())) {
            if (S.metadata(MV->getMetadata()))
              return "metadata";
          }
        }
      }
  }
  for (const GlobalAlias &A : M.aliases())
    if (S.in(A.getName()))
      return "an alias's name";
  return "";
}

} // namespace objcache

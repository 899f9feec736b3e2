//===- SideOutputs.cpp - Files a compile writes beside the object ---------===//
//
// Capture on a miss and rewrite on a hit of the side outputs listed in
// SideOutputs.h. Every file is written the way clang writes it (opened in
// place, truncated, raw bytes), so a hit leaves exactly the files a plain
// compile leaves.
//
//===----------------------------------------------------------------------===//
#include "SideOutputs.h"

#include "CodeGen.h"
#include "CompileState.h"

#include "clang/Basic/CodeGenOptions.h"
#include "clang/Frontend/CompilerInstance.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/Metadata.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

using namespace llvm;

namespace objcache {

namespace {

SideOutput *find(CompileState &State, StringRef Name) {
  for (SideOutput &Out : State.SideOutputs)
    if (Out.Name == Name)
      return &Out;
  return nullptr;
}


// Reads a file the compile just wrote; it must be a regular file.
bool readOutput(const std::string &Path, std::string &Bytes, std::string &Why) {
  sys::fs::file_status St;
  if (sys::fs::status(Path, St) || !sys::fs::is_regular_file(St)) {
    Why = Path + " is not a regular file after the compile";
    return false;
  }
  ErrorOr<std::unique_ptr<MemoryBuffer>> Buffer = MemoryBuffer::getFile(
      Path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!Buffer) {
    Why = "cannot read " + Path + ": " + Buffer.getError().message();
    return false;
  }
  Bytes = (*Buffer)->getBuffer().str();
  return true;
}

// Opens, truncates and writes, as clang's ToolOutputFile and the passes'
// raw_fd_ostream do (no temp file: clang writes side outputs in place).
bool writeOutput(const std::string &Path, StringRef Bytes, std::string &Why) {
  std::error_code EC;
  raw_fd_ostream OS(Path, EC, sys::fs::OF_None);
  if (!EC) {
    OS << Bytes;
    OS.close();
    EC = OS.error();
    OS.clear_error();
  }
  if (EC) {
    Why = "cannot write " + Path + ": " + EC.message();
    return false;
  }
  return true;
}

// The compile units GCOVProfiler writes a .gcno for (it skips skeleton
// units of split DWARF modules).
std::vector<const DICompileUnit *> coverageUnits(const Module &M) {
  std::vector<const DICompileUnit *> Units;
  if (const NamedMDNode *CUs = M.getNamedMetadata("llvm.dbg.cu"))
    for (const MDNode *Node : CUs->operands())
      if (const auto *CU = dyn_cast<DICompileUnit>(Node))
        if (!CU->getDWOId())
          Units.push_back(CU);
  return Units;
}

// The notes file GCOVProfiler names for CU: clang's three-operand
// llvm.gcov node (notes file, data file, unit), as GCOVProfiler::mangleName
// reads it. Empty when there is none.
std::string notesFileOf(const Module &M, const DICompileUnit *CU) {
  const NamedMDNode *GCov = M.getNamedMetadata("llvm.gcov");
  if (!GCov)
    return "";
  for (const MDNode *N : GCov->operands()) {
    if (N->getNumOperands() != 3 || dyn_cast<MDNode>(N->getOperand(2)) != CU)
      continue;
    if (const auto *Notes = dyn_cast<MDString>(N->getOperand(0)))
      return Notes->getString().str();
  }
  return "";
}

} // namespace

bool isLateSideOutput(const SideOutput &Out) {
  return Out.Name == OptRecordOutput;
}

void collectSideOutputs(CompileState &State) {
  const clang::CodeGenOptions &CG = State.CI->getCodeGenOpts();
  auto Add = [&](const char *Name, const std::string &Path) {
    if (!Path.empty())
      State.SideOutputs.push_back(SideOutput{Name, Path, false, {}});
  };
  // Clang opens a .dwo file exactly when SplitDwarfOutput is set (with
  // -gsplit-dwarf=single the sections stay in the object). The .dwo and
  // the .su come from code generation, which an LLVM IR or bitcode output
  // (-flto -gsplit-dwarf, as the driver passes it) never runs: no file.
  if (!State.BitcodeOutput) {
    Add(DwoOutput, CG.SplitDwarfOutput);
    Add(StackUsageOutput, CG.StackUsageOutput);
  }
  Add(GcnoOutput, CG.CoverageNotesFile);
  Add(OptRecordOutput, CG.OptRecordFile);
}

bool resolveSideOutputs(CompileState &State, const Module &M,
                        std::string &Why) {
  SideOutput *Gcno = find(State, GcnoOutput);
  if (!Gcno)
    return true;
  std::vector<const DICompileUnit *> Units = coverageUnits(M);
  if (Units.empty()) {
    // GCOVProfiler writes nothing without a compile unit.
    Gcno->Absent = true;
    return true;
  }
  if (Units.size() != 1 || notesFileOf(M, Units[0]) != Gcno->Path) {
    Why = "coverage notes of an unusual layout (several compile units, or "
          "a notes file other than -coverage-notes-file)";
    return false;
  }
  return true;
}

void addSideOutputFactors(oc_key_builder *Key, const CompileState &State,
                          const Module &M) {
  for (const SideOutput &Out : State.SideOutputs) {
    std::string Name = Out.Name;
    if (Out.Name == StackUsageOutput) {
      // A function without debug info is listed under the module's
      // identifier, which the bitcode does not hold.
      std::string Id = M.getModuleIdentifier();
      oc_key_add(Key, "side-output", (Name + " module-id").c_str(), Id.data(),
                 Id.size());
    } else if (Out.Name == GcnoOutput) {
      // GCOVProfiler names a function's file by its relative name when that
      // exists from the working directory, else by directory + name; with
      // -fprofile-filter-files / -fprofile-exclude-files it matches the
      // file's real path. Both are file-system facts, not IR.
      const clang::CodeGenOptions &CG = State.CI->getCodeGenOpts();
      bool Filtered =
          !CG.ProfileFilterFiles.empty() || !CG.ProfileExcludeFiles.empty();
      StringSet<> Seen;
      for (const Function &F : M) {
        const DISubprogram *SP = F.getSubprogram();
        if (F.isDeclaration() || !SP || !Seen.insert(SP->getFilename()).second)
          continue;
        std::string File = SP->getFilename().str();
        bool Exists = State.CI->getVirtualFileSystem().exists(File);
        std::string Value = Exists ? "exists" : "absent";
        if (Filtered) {
          SmallString<256> Real;
          std::string Whole =
              Exists ? File : (SP->getDirectory() + "/" + File).str();
          Value += sys::fs::real_path(Whole, Real)
                       ? " no-real-path"
                       : " real " + Real.str().str();
        }
        oc_key_add(Key, "side-output", (Name + " file " + File).c_str(),
                   Value.data(), Value.size());
      }
    }
    // .dwo and optimization records: everything that reaches them is in
    // the invocation (-split-dwarf-file, -opt-record-format, the passes
    // filter), the target options and the IR.
    oc_key_add(Key, "side-output", Name.c_str(), Out.Path.data(), 0);
  }
}

std::vector<const char *> requiredOutputs(const CompileState &State) {
  std::vector<const char *> Names{OC_ENTRY_OBJECT};
  for (const SideOutput &Out : State.SideOutputs)
    Names.push_back(Out.Name.c_str());
  return Names;
}

bool codeGenWithSideOutputs(CompileState &State, Module &M, TargetMachine &TM,
                            CodeGenFileType FileType,
                            SmallVectorImpl<char> &Object, std::string &Why,
                            bool &Fatal) {
  Fatal = false;
  const clang::CodeGenOptions &CG = State.CI->getCodeGenOpts();
  SideOutput *Dwo = find(State, DwoOutput);
  SideOutput *Su = find(State, StackUsageOutput);

  // The AsmPrinter opens the .su file at the first function it emits and
  // not at all for a module without one: pointing it at a fresh name of
  // our own tells the two apart exactly, whatever stale file is there.
  std::string SavedSu = TM.Options.StackUsageOutput;
  SmallString<256> SuTemp;
  if (Su) {
    sys::fs::createUniquePath("objcache-%%%%%%%%%%%%%%%%.su", SuTemp,
                              /*MakeAbsolute=*/true);
    TM.Options.StackUsageOutput = SuTemp.str().str();
  }
  SmallVector<char, 0> DwoBytes;
  bool Emitted =
      runCodeGen(M, TM, FileType, CG, Object, Dwo ? &DwoBytes : nullptr);
  TM.Options.StackUsageOutput = SavedSu;
  bool Ok = Emitted;
  if (!Emitted)
    Why = "cannot set up code generation";
  if (Su) {
    if (sys::fs::exists(SuTemp)) {
      Ok = Ok && readOutput(SuTemp.str().str(), Su->Bytes, Why);
      sys::fs::remove(SuTemp);
      Su->Absent = false;
    } else {
      Su->Absent = true;
    }
  }
  if (!Ok)
    return false;

  // Written where clang writes them, as it would: these cannot fail
  // silently (plain clang reports an error when it cannot open them).
  if (Dwo) {
    Dwo->Bytes.assign(DwoBytes.data(), DwoBytes.size());
    if (!writeOutput(Dwo->Path, Dwo->Bytes, Why)) {
      Fatal = true;
      return false;
    }
  }
  if (Su && !Su->Absent && !writeOutput(Su->Path, Su->Bytes, Why)) {
    Fatal = true;
    return false;
  }
  // GCOVProfiler wrote the notes during the optimization pipeline.
  if (SideOutput *Gcno = find(State, GcnoOutput))
    if (!Gcno->Absent && !readOutput(Gcno->Path, Gcno->Bytes, Why))
      return false;
  return true;
}

bool captureLateSideOutputs(CompileState &State, std::string &Why) {
  for (SideOutput &Out : State.SideOutputs)
    if (isLateSideOutput(Out) && !Out.Absent && !readOutput(Out.Path, Out.Bytes, Why))
      return false;
  return true;
}

bool writeCachedSideOutputs(const CompileState &State, bool Late,
                            std::string &Why) {
  for (const SideOutput &Out : State.SideOutputs) {
    if (isLateSideOutput(Out) != Late)
      continue;
    const oc_entry_output *Cached =
        oc_entry_find(&State.Cached, Out.Name.c_str());
    if (!Cached || Cached->absent)
      continue; // absent: the compile leaves the file alone
    StringRef Bytes(reinterpret_cast<const char *>(Cached->data), Cached->size);
    if (!writeOutput(Out.Path, Bytes, Why))
      return false;
  }
  return true;
}

} // namespace objcache

//===- two_threads.cpp - two compilations at once in one process ---------===//
//
// libclang users and build servers run several compilations in one process,
// each on its own thread. This driver does that with objcache loaded: two
// threads each run one cc1 command line (as printed by `clang -###`) several
// times, both at once, and compare every object with a reference made by
// plain clang. If the plugin mixed the state of the two compilations (key
// factors, cached object, diagnostics), a key would describe the other
// compilation and a later hit would serve the wrong object.
//
// Usage: oc-two-threads ROUNDS CC1_FILE_A REFERENCE_A CC1_FILE_B REFERENCE_B
// Prints "A: N of N identical" and the same for B; exits non-zero otherwise.
//
//===----------------------------------------------------------------------===//
#include "clang/Basic/DiagnosticIDs.h"
#include "clang/Basic/DiagnosticOptions.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/CompilerInvocation.h"
#include "clang/Frontend/TextDiagnosticBuffer.h"
#include "clang/FrontendTool/Utils.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using namespace llvm;

namespace {

// Splits one `clang -###` job line: every argument is double-quoted, with
// backslash escapes. Returns the arguments after "-cc1".
std::vector<std::string> readCC1Line(const char *Path) {
  auto Buffer = MemoryBuffer::getFile(Path);
  if (!Buffer) {
    errs() << "cannot read " << Path << "\n";
    std::exit(2);
  }
  std::vector<std::string> Args;
  StringRef Text = (*Buffer)->getBuffer();
  for (size_t I = 0; I < Text.size(); ++I) {
    if (Text[I] != '"')
      continue;
    std::string Arg;
    for (++I; I < Text.size() && Text[I] != '"'; ++I) {
      if (Text[I] == '\\' && I + 1 < Text.size())
        ++I;
      Arg += Text[I];
    }
    Args.push_back(Arg);
  }
  if (Args.size() < 2 || Args[1] != "-cc1") {
    errs() << Path << ": not a clang -cc1 job line\n";
    std::exit(2);
  }
  Args.erase(Args.begin(), Args.begin() + 2);
  return Args;
}

// The object of the invocation's -o.
std::string outputOf(const std::vector<std::string> &Args) {
  for (size_t I = 0; I + 1 < Args.size(); ++I)
    if (Args[I] == "-o")
      return Args[I + 1];
  errs() << "no -o in the command line\n";
  std::exit(2);
}

bool compile(const std::vector<std::string> &Args) {
  std::vector<const char *> Argv;
  for (const std::string &Arg : Args)
    Argv.push_back(Arg.c_str());
  auto Invocation = std::make_shared<clang::CompilerInvocation>();
  clang::DiagnosticOptions DiagOpts;
  auto *Buffer = new clang::TextDiagnosticBuffer;
  clang::DiagnosticsEngine Diags(clang::DiagnosticIDs::create(), DiagOpts,
                                 Buffer);
  if (!clang::CompilerInvocation::CreateFromArgs(*Invocation, Argv, Diags))
    return false;
  clang::CompilerInstance Clang(std::move(Invocation));
  Clang.createVirtualFileSystem(vfs::getRealFileSystem(), Buffer);
  Clang.createDiagnostics();
  Buffer->FlushDiagnostics(Clang.getDiagnostics());
  return clang::ExecuteCompilerInvocation(&Clang);
}

bool sameFile(const std::string &A, const std::string &B) {
  auto BufferA = MemoryBuffer::getFile(A);
  auto BufferB = MemoryBuffer::getFile(B);
  return BufferA && BufferB &&
         (*BufferA)->getBuffer() == (*BufferB)->getBuffer();
}

struct Job {
  std::vector<std::string> Args;
  std::string Reference;
  unsigned Identical = 0;
};

} // namespace

int main(int Argc, char **Argv) {
  if (Argc != 6) {
    errs() << "usage: oc-two-threads ROUNDS CC1_A REF_A CC1_B REF_B\n";
    return 2;
  }
  InitializeAllTargetInfos();
  InitializeAllTargets();
  InitializeAllTargetMCs();
  InitializeAllAsmPrinters();
  InitializeAllAsmParsers();

  unsigned Rounds = std::atoi(Argv[1]);
  Job Jobs[2];
  for (int J = 0; J < 2; ++J) {
    Jobs[J].Args = readCC1Line(Argv[2 + 2 * J]);
    Jobs[J].Reference = Argv[3 + 2 * J];
  }

  // Each round starts both compilations together so that they overlap.
  for (unsigned Round = 0; Round < Rounds; ++Round) {
    std::atomic<int> Ready{0};
    std::vector<std::thread> Threads;
    for (Job &J : Jobs)
      Threads.emplace_back([&J, &Ready] {
        ++Ready;
        while (Ready.load() < 2)
          std::this_thread::yield();
        if (compile(J.Args) && sameFile(outputOf(J.Args), J.Reference))
          ++J.Identical;
      });
    for (std::thread &T : Threads)
      T.join();
  }

  bool AllIdentical = true;
  for (int J = 0; J < 2; ++J) {
    outs() << (J == 0 ? "A" : "B") << ": " << Jobs[J].Identical << " of "
           << Rounds << " identical\n";
    AllIdentical &= Jobs[J].Identical == Rounds;
  }
  return AllIdentical ? 0 : 1;
}

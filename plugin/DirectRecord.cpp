//===- DirectRecord.cpp - What the front end read, for direct mode --------===//
//
// See DirectRecord.h. The stat cache sees every lookup the FileManager
// makes after it is installed (header search, __has_include, module maps,
// #embed), including the ones that find nothing: those are what make a
// header newly created earlier on the include path a direct miss. Lookups
// made before the plugin's frontend hook runs (the main file, the include
// directories checked while setting up header search) are taken from the
// SourceManager and the header search options instead.
//
// The outputs come from the options clang acts on (FrontendOptions,
// DependencyOutputOptions, ...), never from the command line: the driver
// may have added options from a config file or CCC_OVERRIDE_OPTIONS that
// the launcher does not see. Any output the launcher cannot reproduce is a
// "side" line, and the launcher then records nothing.
//
//===----------------------------------------------------------------------===//
#include "DirectRecord.h"

#include "clang/Basic/DiagnosticOptions.h"
#include "clang/Basic/FileManager.h"
#include "clang/Basic/FileSystemStatCache.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Lex/HeaderSearchOptions.h"
#include "clang/Lex/MacroInfo.h"
#include "clang/Lex/PPCallbacks.h"
#include "clang/Lex/Preprocessor.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace llvm;

namespace objcache {
namespace {

// Paths are kept as looked up: a relative one means the same name under
// another working directory (the launcher checks it from there). Only the
// "./" clang puts before names found beside a relative includer goes.
std::string asLookedUp(StringRef Path) {
  while (Path.starts_with("./") && Path.size() > 2)
    Path = Path.drop_front(2);
  return Path.str();
}

// Forwards every stat to the file system, as having no cache does, and
// notes the outcome.
class RecordingStatCache : public clang::FileSystemStatCache {
public:
  explicit RecordingStatCache(std::shared_ptr<LookupLog> Log)
      : Log(std::move(Log)) {}

  std::error_code getStat(StringRef Path, vfs::Status &Status, bool IsFile,
                          std::unique_ptr<vfs::File> *F,
                          vfs::FileSystem &FS) override {
    std::error_code EC = get(Path, Status, IsFile, F, nullptr, FS);
    if (EC)
      Log->Missing.insert(asLookedUp(Path));
    else if (Status.isRegularFile())
      Log->Found.insert(asLookedUp(Path));
    return EC;
  }

private:
  std::shared_ptr<LookupLog> Log;
};

// Notices the builtin macros whose value is the time of the compile
// (__DATE__, __TIME__) or the main file's mtime (__TIMESTAMP__, which a
// content check cannot see either).
class ClockMacroWatcher : public clang::PPCallbacks {
public:
  explicit ClockMacroWatcher(std::shared_ptr<LookupLog> Log)
      : Log(std::move(Log)) {}

  void MacroExpands(const clang::Token &Name, const clang::MacroDefinition &MD,
                    clang::SourceRange, const clang::MacroArgs *) override {
    const clang::MacroInfo *Info = MD.getMacroInfo();
    if (!Info || !Info->isBuiltinMacro() || !Name.getIdentifierInfo())
      return;
    StringRef Macro = Name.getIdentifierInfo()->getName();
    if (Macro == "__DATE__" || Macro == "__TIME__" || Macro == "__TIMESTAMP__")
      Log->ReadsClock = true;
  }

private:
  std::shared_ptr<LookupLog> Log;
};

// Outputs of this compile other than the object and the .d file, which a
// direct hit could not write.
std::vector<std::string> sideOutputs(clang::CompilerInstance &CI) {
  std::vector<std::string> Side;
  const clang::FrontendOptions &FE = CI.getFrontendOpts();
  const clang::DependencyOutputOptions &Dep = CI.getDependencyOutputOpts();
  if (FE.OutputFile.empty() || FE.OutputFile == "-")
    Side.push_back("output to stdout");
  if (!FE.TimeTracePath.empty())
    Side.push_back("time trace");
  if (!FE.StatsFile.empty())
    Side.push_back("statistics file");
  if (!CI.getDiagnosticOpts().DiagnosticSerializationFile.empty())
    Side.push_back("serialized diagnostics");
  if (!CI.getCodeGenOpts().AsSecureLogFile.empty())
    Side.push_back("assembler secure log");
  if (!Dep.HeaderIncludeOutputFile.empty())
    Side.push_back("header include list");
  if (!Dep.DOTOutputFile.empty())
    Side.push_back("dependency graph");
  if (!Dep.ModuleDependencyOutputDir.empty())
    Side.push_back("module dependency directory");
  if (Dep.ShowIncludesDest != clang::ShowIncludesDestination::None)
    Side.push_back("/showIncludes");
  if (!Dep.OutputFile.empty() &&
      (Dep.OutputFormat != clang::DependencyOutputFormat::Make ||
       Dep.AddMissingHeaderDeps || Dep.OutputFile == "-"))
    Side.push_back("dependency file in another form");
  if (CI.getLangOpts().Modules)
    Side.push_back("modules");
  return Side;
}

std::string absoluteClean(StringRef Path) {
  SmallString<256> Abs(Path);
  sys::fs::make_absolute(Abs);
  sys::path::remove_dots(Abs, /*remove_dot_dot=*/true);
  return std::string(Abs);
}

} // namespace

DepFileList::DepFileList(const clang::DependencyOutputOptions &Opts)
    : IncludeSystemHeaders(Opts.IncludeSystemHeaders),
      AddMissingHeaderDeps(Opts.AddMissingHeaderDeps),
      IncludeModuleFiles(Opts.IncludeModuleFiles) {
  // As DependencyFileGenerator's constructor: extra dependencies (default
  // sanitizer ignore lists, profile lists) come first.
  for (const auto &Extra : Opts.ExtraDeps)
    if (addDependency(Extra.first))
      ++InputFileIndex;
}

bool DepFileList::sawDependency(StringRef Filename, bool, bool IsSystem,
                                bool IsModuleFile, bool IsMissing) {
  if (IsMissing) {
    if (AddMissingHeaderDeps)
      return true;
    SeenMissingHeader = true;
    return false;
  }
  if (IsModuleFile && !IncludeModuleFiles)
    return false;
  if (Filename == "<built-in>")
    return false;
  return IncludeSystemHeaders || !IsSystem;
}

std::unique_ptr<DirectRecorder>
DirectRecorder::start(clang::CompilerInstance &CI) {
  const char *Path = getenv("OBJCACHE_DIRECT_RECORD");
  if (!Path || !*Path || !CI.hasFileManager())
    return nullptr;
  auto Recorder = std::make_unique<DirectRecorder>();
  Recorder->Path = Path;
  Recorder->Log = std::make_shared<LookupLog>();
  CI.getFileManager().setStatCache(
      std::make_unique<RecordingStatCache>(Recorder->Log));
  if (CI.hasPreprocessor()) {
    CI.getPreprocessor().addPPCallbacks(
        std::make_unique<ClockMacroWatcher>(Recorder->Log));
    // clang's own generator was attached when the preprocessor was made;
    // this one sees the same callbacks from here on, before the main file
    // is entered. The CompilerInstance keeps it alive as long as itself.
    const clang::DependencyOutputOptions &Dep = CI.getDependencyOutputOpts();
    if (!Dep.OutputFile.empty()) {
      Recorder->Deps = std::make_shared<DepFileList>(Dep);
      Recorder->Deps->attachToPreprocessor(CI.getPreprocessor());
      CI.addDependencyCollector(Recorder->Deps);
    }
  }
  // Include directories that did not exist were dropped while header search
  // was set up, before this hook: creating one later must be a miss.
  const clang::HeaderSearchOptions &HS = CI.getHeaderSearchOpts();
  for (const auto &Entry : HS.UserEntries) {
    std::string Dir = Entry.Path;
    if (!Entry.IgnoreSysRoot && !HS.Sysroot.empty() && HS.Sysroot != "/")
      Dir = HS.Sysroot + Dir;
    struct stat St;
    if (stat(Dir.c_str(), &St) != 0)
      Recorder->Log->Missing.insert(asLookedUp(Dir));
  }
  return Recorder;
}

bool DirectRecorder::write(clang::CompilerInstance &CI,
                           const std::string &KeyHex,
                           const std::vector<std::string> &OptionFiles,
                           const std::vector<std::string> &OutputLines,
                           std::string &Error) {
  std::set<std::string> Read = Log->Found;
  if (CI.hasSourceManager()) {
    clang::SourceManager &SM = CI.getSourceManager();
    for (auto I = SM.fileinfo_begin(), E = SM.fileinfo_end(); I != E; ++I)
      Read.insert(asLookedUp(I->first.getName()));
  }
  for (const std::string &File : OptionFiles)
    Read.insert(asLookedUp(File));

  const clang::DependencyOutputOptions &Dep = CI.getDependencyOutputOpts();
  std::vector<std::string> Lines;
  Lines.push_back("output " + absoluteClean(CI.getFrontendOpts().OutputFile));
  if (!Dep.OutputFile.empty() && Deps) {
    Lines.push_back("depfile " + absoluteClean(Dep.OutputFile));
    for (const std::string &Target : Dep.Targets)
      Lines.push_back("target " + Target);
    Lines.push_back("depmain " + std::to_string(Deps->InputFileIndex));
    for (const std::string &Name : Deps->getDependencies())
      Lines.push_back("dep " + Name);
    if (Deps->SeenMissingHeader)
      Lines.push_back("side missing header");
  } else if (!Dep.OutputFile.empty()) {
    Lines.push_back("side dependency file");
  }
  for (const std::string &What : sideOutputs(CI))
    Lines.push_back("side " + What);
  // Side outputs objcache caches (sideoutput <name> <path>) and "store".
  Lines.insert(Lines.end(), OutputLines.begin(), OutputLines.end());

  // A name with a newline cannot be written in this format: record nothing
  // (the next compile is simply another miss).
  auto HasNewline = [](const std::string &S) {
    return S.find('\n') != std::string::npos;
  };
  for (const auto *Set : {&Read, &Log->Missing})
    for (const std::string &File : *Set)
      if (HasNewline(File)) {
        Error = "a file name holds a newline";
        return false;
      }
  for (const std::string &Line : Lines)
    if (HasNewline(Line)) {
      Error = "a file name holds a newline";
      return false;
    }
  std::string Text = "objcache-direct-record 2\nkey " + KeyHex + "\n";
  for (const std::string &Line : Lines)
    Text += Line + "\n";
  for (const std::string &File : Read)
    Text += "read " + File + "\n";
  for (const std::string &File : Log->Missing)
    if (!Read.count(File))
      Text += "absent " + File + "\n";
  if (!Location.empty())
    Text += "location " + Location + "\n";
  Text += "end\n";

  // O_EXCL: a second translation unit in the same process must not pass
  // off its files as the first one's. The launcher only asks for single
  // inputs, so this is a guard, not a case.
  // An existing file is never ours to remove: OBJCACHE_DIRECT_RECORD may
  // name anything the user can write.
  int Fd = open(Path.c_str(),
                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (Fd < 0) {
    Error = "cannot create " + Path + ": " + strerror(errno);
    return false;
  }
  const char *Data = Text.data();
  size_t Left = Text.size();
  while (Left > 0) {
    ssize_t N = ::write(Fd, Data, Left);
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0) {
      Error = "cannot write " + Path + ": " + strerror(errno);
      close(Fd);
      unlink(Path.c_str());
      return false;
    }
    Data += N;
    Left -= N;
  }
  if (close(Fd) != 0) {
    Error = "cannot write " + Path + ": " + strerror(errno);
    unlink(Path.c_str());
    return false;
  }
  return true;
}

} // namespace objcache

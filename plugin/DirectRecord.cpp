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
// "side" line, and the launcher then records nothing. The record is
// encoded and written by lib (objcache/direct.h): this file only turns
// Clang's objects into its fields.
//
//===----------------------------------------------------------------------===//
#include "DirectRecord.h"

extern "C" {
#include "objcache/direct.h"
}

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

#include <climits>
#include <cstdlib>
#include <sys/stat.h>

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

std::string cleanAbsolute(StringRef Path) {
  SmallString<256> Cwd;
  std::string In = Path.str();
  char Out[PATH_MAX];
  // LLVM's working directory ($PWD when it names the same directory), as
  // make_absolute would use it.
  bool HaveCwd = !sys::fs::current_path(Cwd);
  if (!oc_path_clean(HaveCwd ? Cwd.c_str() : nullptr, In.c_str(), Out,
                     sizeof Out))
    return In;
  return Out;
}

bool DirectRecorder::write(clang::CompilerInstance &CI,
                           const std::string &KeyHex,
                           const std::vector<std::string> &OptionFiles,
                           const std::vector<RecordedOutput> &Outputs,
                           bool LauncherStores, std::string &Error) {
  std::set<std::string> Read = Log->Found;
  if (CI.hasSourceManager()) {
    clang::SourceManager &SM = CI.getSourceManager();
    for (auto I = SM.fileinfo_begin(), E = SM.fileinfo_end(); I != E; ++I)
      Read.insert(asLookedUp(I->first.getName()));
  }
  for (const std::string &File : OptionFiles)
    Read.insert(asLookedUp(File));

  // The record's strings; the C record points into these.
  oc_direct_record Rec = {};
  if (!oc_digest_from_hex(KeyHex.c_str(), &Rec.key)) {
    Error = "bad key";
    return false;
  }
  const clang::DependencyOutputOptions &Dep = CI.getDependencyOutputOpts();
  std::string Output = cleanAbsolute(CI.getFrontendOpts().OutputFile);
  std::string DepFile;
  std::vector<const char *> Targets, DepNames, Sides;
  std::vector<std::string> SideTexts;
  Rec.output = Output.c_str();
  if (!Dep.OutputFile.empty() && Deps) {
    DepFile = cleanAbsolute(Dep.OutputFile);
    Rec.depfile = DepFile.c_str();
    for (const std::string &Target : Dep.Targets)
      Targets.push_back(Target.c_str());
    Rec.depmain = Deps->InputFileIndex;
    for (const std::string &Name : Deps->getDependencies())
      DepNames.push_back(Name.c_str());
    if (Deps->SeenMissingHeader)
      SideTexts.push_back("missing header");
  } else if (!Dep.OutputFile.empty()) {
    SideTexts.push_back("dependency file");
  }
  for (std::string &What : sideOutputs(CI))
    SideTexts.push_back(std::move(What));
  for (const std::string &What : SideTexts)
    Sides.push_back(What.c_str());
  std::vector<oc_direct_side_output> Cached;
  for (const RecordedOutput &Out : Outputs)
    Cached.push_back({Out.Name.c_str(), Out.Path.c_str()});
  std::vector<oc_direct_record_file> Files;
  for (const std::string &File : Read)
    Files.push_back({File.c_str(), false});
  for (const std::string &File : Log->Missing)
    if (!Read.count(File))
      Files.push_back({File.c_str(), true});
  Rec.targets = Targets.data();
  Rec.target_count = Targets.size();
  Rec.deps = DepNames.data();
  Rec.dep_count = DepNames.size();
  Rec.sides = Sides.data();
  Rec.side_count = Sides.size();
  Rec.side_outputs = Cached.data();
  Rec.side_output_count = Cached.size();
  Rec.store = LauncherStores;
  Rec.files = Files.data();
  Rec.file_count = Files.size();
  Rec.location = Location.empty() ? nullptr : Location.c_str();

  // A name with a newline cannot be written: the encoder refuses it and
  // nothing is recorded (the next compile is simply another miss).
  oc_error Err = {};
  if (oc_direct_record_write(Path.c_str(), &Rec, &Err) != OC_OK) {
    Error = Err.message;
    return false;
  }
  return true;
}

} // namespace objcache

//===- InlineAsmRule.cpp - Inline assembly the cache can reproduce --------===//
//
// See InlineAsmRule.h. The text is cut into statements at every character
// that can end one for some LLVM target ('\n', '\r', ';', and "%%" for
// Darwin AArch64): a superset of the assembler's own statement starts, so
// no directive can start where this scan does not look. Leading /* */
// comments and labels ("name:", "1:", "\"quoted\":") are skipped; the
// first word, when it starts with '.', is a directive, compared in lower
// case as LLVM's AsmParser does. A '.' word that is not on the list, or a
// statement this scan cannot read (a quote or backslash where the
// directive would be), makes the module uncacheable. Cutting inside a
// string literal can only show the scan more statement starts, never
// fewer: it errs towards not caching.
//
//===----------------------------------------------------------------------===//
#include "InlineAsmRule.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"

#include <algorithm>
#include <cctype>

using namespace llvm;

namespace objcache {
namespace {

// clang-format off
// Directives that only emit bytes, symbols, sections or debug/unwind
// information from their operands. Nothing here opens a file, prints,
// defines or expands macros, repeats text or branches on conditions.
const char *const Harmless[] = {
    ".2byte", ".4byte", ".8byte", ".addrsig", ".addrsig_sym", ".align",
    ".arch", ".arch_extension", ".arm", ".ascii", ".asciz", ".att_syntax",
    ".attribute", ".balign", ".balignl", ".balignw", ".bss", ".byte",
    ".code16", ".code32", ".code64", ".comm", ".cpu", ".data", ".double",
    ".dword", ".equ", ".equiv", ".eqv", ".file", ".fill", ".float", ".fpu",
    ".global", ".globl", ".half", ".hidden", ".hword", ".ident", ".inst",
    ".int", ".intel_syntax", ".internal", ".lcomm", ".loc", ".local",
    ".long", ".nops", ".octa", ".option", ".org", ".p2align", ".p2alignl",
    ".p2alignw", ".popsection", ".previous", ".protected", ".pushsection",
    ".quad", ".reloc", ".section", ".set", ".short", ".single", ".size",
    ".skip", ".sleb128", ".space", ".string", ".subsection", ".symver",
    ".syntax", ".text", ".thumb", ".thumb_func", ".type", ".uleb128",
    ".value", ".weak", ".weakref", ".word", ".zero",
};
// clang-format on

bool harmless(StringRef Word) {
  std::string Lower = Word.lower();
  StringRef L(Lower);
  if (L.starts_with(".cfi_") || L.starts_with(".seh_")) // unwind information
    return true;
  return std::find_if(std::begin(Harmless), std::end(Harmless),
                      [&](const char *H) { return L == H; }) !=
         std::end(Harmless);
}

bool isWordChar(char C) {
  return isalnum(static_cast<unsigned char>(C)) || C == '_' || C == '.' ||
         C == '$' || C == '@';
}

// Checks one statement; false with the offending word.
bool statementOk(StringRef S, std::string &Directive) {
  for (;;) {
    S = S.ltrim(" \t\f\v");
    if (S.consume_front("/*")) { // a comment before the statement
      size_t End = S.find("*/");
      if (End == StringRef::npos)
        return true; // the rest is comment up to the cut
      S = S.drop_front(End + 2);
      continue;
    }
    // A label: a word or a quoted name, then ':'.
    size_t Len = 0;
    if (S.starts_with("\"")) {
      size_t Close = S.find('"', 1);
      if (Close == StringRef::npos) {
        Directive = S.str();
        return false;
      }
      Len = Close + 1;
    } else {
      while (Len < S.size() && isWordChar(S[Len]))
        ++Len;
    }
    StringRef After = S.drop_front(Len).ltrim(" \t");
    if (Len && After.starts_with(":") && !After.starts_with("::")) {
      S = After.drop_front(1);
      continue;
    }
    break;
  }
  if (S.empty() || S[0] != '.') {
    // An instruction, a comment or nothing. A statement that starts with a
    // quote or a backslash is nothing the scan can read.
    if (!S.empty() && (S[0] == '"' || S[0] == '\\')) {
      Directive = S.take_while([](char C) { return C != ' '; }).str();
      return false;
    }
    return true;
  }
  size_t Len = 1;
  while (Len < S.size() && (isWordChar(S[Len]) || S[Len] == '\\'))
    ++Len;
  StringRef Word = S.take_front(Len);
  if (Word.contains('\\') || !harmless(Word)) {
    Directive = Word.str();
    return false;
  }
  return true;
}

bool textOk(StringRef Asm, std::string &Directive) {
  while (!Asm.empty()) {
    size_t Cut = Asm.find_first_of("\n\r;");
    size_t Pct = Asm.find("%%");
    Cut = std::min(Cut, Pct);
    if (!statementOk(Asm.take_front(Cut), Directive))
      return false;
    if (Cut == StringRef::npos)
      break;
    Asm = Asm.drop_front(Cut + (Cut == Pct ? 2 : 1));
  }
  return true;
}

} // namespace

bool inlineAsmIsCacheable(const Module &M, std::string &Directive) {
  if (!textOk(M.getModuleInlineAsm(), Directive))
    return false;
  for (const Function &F : M)
    for (const BasicBlock &BB : F)
      for (const Instruction &I : BB)
        if (const auto *Call = dyn_cast<CallBase>(&I))
          if (const auto *Asm = dyn_cast<InlineAsm>(Call->getCalledOperand()))
            if (!textOk(Asm->getAsmString(), Directive))
              return false;
  return true;
}

} // namespace objcache

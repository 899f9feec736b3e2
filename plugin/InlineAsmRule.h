//===- InlineAsmRule.h - Inline assembly the cache can reproduce ----------===//
//
// The integrated assembler runs during code generation, after the key is
// taken, and some directives make it read files (.include, .incbin) that
// are neither in the IR nor named by an option. Which directives a piece of
// assembly runs cannot be told from its text once macros are involved:
// `.irp k,bin` / `.inc\k "f"` / `.endr` builds `.incbin` at assembly time.
// So the rule is a list of what is known to be harmless, not of what is
// known to be harmful: a module is cacheable only when every directive at
// the start of every statement of its inline assembly is in that list
// (docs/key.md, "Inline assembly").
//
//===----------------------------------------------------------------------===//
#ifndef OBJCACHE_PLUGIN_INLINEASMRULE_H
#define OBJCACHE_PLUGIN_INLINEASMRULE_H

#include <string>

namespace llvm {
class Module;
} // namespace llvm

namespace objcache {

// True when all inline assembly of M (module-level and in every function)
// uses only directives that cannot read a file, write one, or build other
// directives at assembly time. Otherwise false, with the first directive
// that is not known to be harmless in Directive.
bool inlineAsmIsCacheable(const llvm::Module &M, std::string &Directive);

} // namespace objcache

#endif

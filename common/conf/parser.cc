// Recursive-descent parser over lexer.h's tokens. Grammar (newline = Newline token):
//
//   body      := { statement | newline | ';' | ',' }
//   statement := key [':' | '='] value end | 'include' path end
//   end       := newline | ';' | ',' | end of file | '}' (not consumed)
//   value     := quoted | word | $NAME | '{' body '}' | '[' items ']'
//   items     := { newline | ',' } [ value { (',' | newline) { newline | ',' } value } ] ...
//
// The parser keeps a stack of open blocks/arrays so that an unexpected end of file can name
// the outermost unclosed one, and a stack of the maps being built, which is where `$NAME`
// looks for earlier definitions.
#include "common/conf/parser.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "common/conf/lexer.h"
#include "common/conf/scalar.h"

namespace ftgate::conf {
namespace {

using Kind = Token::Kind;
using Mode = Lexer::Mode;

// Reads a whole regular file. On failure returns false and says why in `why`.
bool readWholeFile(const std::string& path, std::string& out, std::string& why) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    why = std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    why = S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file";
    ::close(fd);
    return false;
  }
  out.clear();
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      why = std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

std::string_view withoutBom(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return text;
}

std::string directoryOf(const std::string& file) {
  return std::filesystem::path(file).parent_path().string();
}

std::string canonicalName(const std::string& path) {
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : canonical.string();
}

std::string quote(const std::string& s) { return "\"" + s + "\""; }

// One text being parsed: the top-level file or an included one.
struct Source {
  Lexer lexer;
  std::string dir;  // where its relative includes resolve
  int depth = 0;    // 0 for the top-level text, +1 per include
  std::optional<Token> pending;
};

// A block or array that is open (its closing bracket not yet seen).
struct OpenFrame {
  enum class What { Block, Array, BlockInArray, ArrayInArray };
  What what;
  std::string name;  // the key it belongs to ("" at none)
  Position open;     // its '{' or '['
  int sourceDepth;
};

class Parser {
 public:
  ParseResult parseTop(std::string_view text, const std::string& name) {
    Source src{Lexer(withoutBom(text), name), directoryOf(name), 0, std::nullopt};
    includeChain_.push_back(canonicalName(name));
    includeNames_.push_back(name);
    Value root = Value::makeMap(Position{name, 1, 1});
    scopes_.push_back(&root);
    bool ok = parseBody(src, root, false);
    scopes_.pop_back();
    ParseResult result;
    if (ok) {
      result.root = std::move(root);
    } else {
      result.error = std::move(error_);
    }
    return result;
  }

 private:
  bool fail(Position pos, std::string message) {
    error_ = Error{std::move(pos), std::move(message)};
    return false;
  }

  Token next(Source& src, Mode mode) {
    if (src.pending) {
      Token t = std::move(*src.pending);
      src.pending.reset();
      return t;
    }
    return src.lexer.next(mode);
  }

  // The end of the file came while blocks or arrays were open: report the outermost one
  // opened in this file, since that is the brace the author most likely forgot.
  bool failUnclosed(const Source& src) {
    for (const OpenFrame& f : frames_) {
      if (f.sourceDepth != src.depth) continue;
      switch (f.what) {
        case OpenFrame::What::Block:
          return fail(f.open, "block " + quote(f.name) +
                                  " is never closed (expected '}' before the end of the file)");
        case OpenFrame::What::BlockInArray:
          return fail(f.open, "block in array " + quote(f.name) +
                                  " is never closed (expected '}' before the end of the file)");
        case OpenFrame::What::Array:
          return fail(f.open, "array " + quote(f.name) +
                                  " is never closed (expected ']' before the end of the file)");
        case OpenFrame::What::ArrayInArray:
          return fail(f.open, "array in array " + quote(f.name) +
                                  " is never closed (expected ']' before the end of the file)");
      }
    }
    return fail(src.lexer.here(), "unexpected end of file");
  }

  bool pushFrame(OpenFrame::What what, const std::string& name, const Position& open,
                 const Source& src) {
    if (static_cast<int>(frames_.size()) >= kMaxNestingDepth) {
      return fail(open, "blocks and arrays nested deeper than " + std::to_string(kMaxNestingDepth) +
                            " levels");
    }
    frames_.push_back(OpenFrame{what, name, open, src.depth});
    return true;
  }

  // Statements until the end of the text (braced == false) or the '}' closing the block that
  // frames_.back() describes (braced == true).
  bool parseBody(Source& src, Value& map, bool braced) {
    for (;;) {
      Token tok = next(src, Mode::Key);
      switch (tok.kind) {
        case Kind::Newline:
        case Kind::Semicolon:
        case Kind::Comma:
          continue;
        case Kind::End:
          return braced ? failUnclosed(src) : true;
        case Kind::RBrace:
          if (braced) return true;
          return fail(tok.pos, "unexpected '}' with no open block");
        case Kind::Error:
          return fail(tok.pos, tok.text);
        case Kind::Word:
        case Kind::Quoted:
          if (!parseStatement(src, map, std::move(tok))) return false;
          continue;
        default:
          if (braced) {
            const OpenFrame& f = frames_.back();
            return fail(tok.pos, "expected a key or '}' to close block " + quote(f.name) +
                                     " (opened at " + std::to_string(f.open.line) + ":" +
                                     std::to_string(f.open.column) + "), found " + describe(tok));
          }
          return fail(tok.pos, "expected a key, found " + describe(tok));
      }
    }
  }

  bool parseStatement(Source& src, Value& map, Token keyTok) {
    bool hasSeparator = src.lexer.skipSeparator();
    if (keyTok.kind == Kind::Word && keyTok.text == "include" && !hasSeparator) {
      Token path = next(src, Mode::Value);
      if (path.kind == Kind::Error) return fail(path.pos, path.text);
      if (path.kind != Kind::Word && path.kind != Kind::Quoted) {
        return fail(path.pos, "expected a file name after include, found " + describe(path));
      }
      return includeFile(src, map, path) && expectStatementEnd(src, "include");
    }
    Token valueTok = next(src, Mode::Value);
    std::optional<Value> value = parseValue(src, std::move(valueTok), keyTok.text, false);
    if (!value) return false;
    value->setKeyPos(keyTok.pos);
    map.set(keyTok.text, std::move(*value));
    return expectStatementEnd(src, keyTok.text);
  }

  bool expectStatementEnd(Source& src, const std::string& key) {
    Token tok = next(src, Mode::Key);
    switch (tok.kind) {
      case Kind::Newline:
      case Kind::Semicolon:
      case Kind::Comma:
        return true;
      case Kind::End:
      case Kind::RBrace:
        src.pending = std::move(tok);
        return true;
      case Kind::Error:
        return fail(tok.pos, tok.text);
      default:
        return fail(tok.pos, "expected a newline, ';' or ',' after the value of " + quote(key) +
                                 ", found " + describe(tok));
    }
  }

  std::optional<Value> parseValue(Source& src, Token tok, const std::string& key, bool inArray) {
    switch (tok.kind) {
      case Kind::Quoted:
        return Value::makeString(std::move(tok.text), std::move(tok.pos));
      case Kind::Word: {
        Value v;
        if (auto err = classifyWord(tok.text, tok.pos, v)) {
          error_ = std::move(err);
          return std::nullopt;
        }
        return v;
      }
      case Kind::Variable:
        return resolveVariable(tok);
      case Kind::LBrace: {
        auto what = inArray ? OpenFrame::What::BlockInArray : OpenFrame::What::Block;
        if (!pushFrame(what, key, tok.pos, src)) return std::nullopt;
        Value m = Value::makeMap(tok.pos);
        scopes_.push_back(&m);
        bool ok = parseBody(src, m, true);
        scopes_.pop_back();
        frames_.pop_back();
        if (!ok) return std::nullopt;
        return m;
      }
      case Kind::LBracket: {
        auto what = inArray ? OpenFrame::What::ArrayInArray : OpenFrame::What::Array;
        if (!pushFrame(what, key, tok.pos, src)) return std::nullopt;
        Value a = Value::makeArray(tok.pos);
        bool ok = parseArrayItems(src, a, key);
        frames_.pop_back();
        if (!ok) return std::nullopt;
        return a;
      }
      case Kind::Error:
        fail(tok.pos, tok.text);
        return std::nullopt;
      default:
        fail(tok.pos, "expected a value for " + quote(key) + ", found " + describe(tok));
        return std::nullopt;
    }
  }

  // Items up to and including the ']' closing the array that frames_.back() describes.
  bool parseArrayItems(Source& src, Value& array, const std::string& key) {
    for (;;) {
      Token tok = next(src, Mode::Value);
      switch (tok.kind) {
        case Kind::Newline:
        case Kind::Comma:
          continue;
        case Kind::RBracket:
          return true;
        case Kind::End:
          return failUnclosed(src);
        case Kind::Error:
          return fail(tok.pos, tok.text);
        case Kind::RBrace:
        case Kind::Semicolon:
          return failInArray(tok, key);
        default:
          break;
      }
      std::optional<Value> item = parseValue(src, std::move(tok), key, true);
      if (!item) return false;
      array.append(std::move(*item));
      Token after = next(src, Mode::Value);
      switch (after.kind) {
        case Kind::Newline:
        case Kind::Comma:
          continue;
        case Kind::RBracket:
          return true;
        case Kind::End:
          return failUnclosed(src);
        case Kind::Error:
          return fail(after.pos, after.text);
        default:
          return failInArray(after, key);
      }
    }
  }

  bool failInArray(const Token& tok, const std::string& key) {
    const OpenFrame& f = frames_.back();
    return fail(tok.pos, "expected ',' or ']' to close array " + quote(key) + " (opened at " +
                             std::to_string(f.open.line) + ":" + std::to_string(f.open.column) +
                             "), found " + describe(tok));
  }

  std::optional<Value> resolveVariable(const Token& tok) {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      if (Value* definition = (*it)->findExact(tok.text)) {
        // Each reference copies the definition, so nested references could grow the tree
        // exponentially ("a: [$b, $b, ...]" on several levels); cap what copies may add.
        expandedValues_ += countValues(*definition);
        if (expandedValues_ > kMaxExpandedValues) {
          fail(tok.pos,
               "variables expand to more than " + std::to_string(kMaxExpandedValues) + " values");
          return std::nullopt;
        }
        definition->setUsedAsVariable(true);
        Value copy = *definition;
        copy.setUsedAsVariable(false);
        copy.setPos(tok.pos);
        return copy;
      }
    }
    if (const char* env = std::getenv(tok.text.c_str())) {
      Value v;
      if (auto err = classifyWord(env, tok.pos, v)) {
        error_ = Error{tok.pos, "environment variable $" + tok.text + ": " + err->message};
        return std::nullopt;
      }
      return v;
    }
    fail(tok.pos, "variable $" + tok.text +
                      " is not defined (no earlier key of that name in this block or an "
                      "enclosing one, and no environment variable)");
    return std::nullopt;
  }

  // Parses the file `pathTok` names into `map`, as if its statements stood here.
  bool includeFile(Source& src, Value& map, const Token& pathTok) {
    const std::string& given = pathTok.text;
    if (given.empty()) return fail(pathTok.pos, "expected a file name after include");
    std::string display = given;
    if (given.front() != '/' && !src.dir.empty()) display = src.dir + "/" + given;
    if (src.depth + 1 > kMaxIncludeDepth) {
      return fail(pathTok.pos,
                  "includes nested deeper than " + std::to_string(kMaxIncludeDepth) + " files");
    }
    std::string canonical = canonicalName(display);
    for (size_t i = 0; i < includeChain_.size(); ++i) {
      if (includeChain_[i] != canonical) continue;
      std::string cycle;
      for (size_t j = i; j < includeNames_.size(); ++j) cycle += includeNames_[j] + " -> ";
      return fail(pathTok.pos, "include cycle: " + cycle + display);
    }
    std::string text;
    std::string why;
    if (!readWholeFile(display, text, why)) {
      return fail(pathTok.pos, "cannot include " + quote(display) + ": " + why);
    }
    Source included{Lexer(withoutBom(text), display), directoryOf(display), src.depth + 1,
                    std::nullopt};
    includeChain_.push_back(canonical);
    includeNames_.push_back(display);
    bool ok = parseBody(included, map, false);
    includeChain_.pop_back();
    includeNames_.pop_back();
    return ok;
  }

  static size_t countValues(const Value& v) {
    size_t n = 1;
    if (v.isArray()) {
      for (const Value& item : v.items()) n += countValues(item);
    } else if (v.isMap()) {
      for (const auto& entry : v.entries()) n += countValues(entry.second);
    }
    return n;
  }

  static constexpr size_t kMaxExpandedValues = 1'000'000;

  std::optional<Error> error_;
  size_t expandedValues_ = 0;
  std::vector<OpenFrame> frames_;
  std::vector<Value*> scopes_;             // maps being built, outermost first
  std::vector<std::string> includeChain_;  // canonical paths of the files being parsed
  std::vector<std::string> includeNames_;  // the same, as shown in messages
};

}  // namespace

ParseResult parseString(std::string_view text, std::string name) {
  Parser parser;
  return parser.parseTop(text, name);
}

ParseResult parseFile(const std::string& path) {
  std::string text;
  std::string why;
  if (!readWholeFile(path, text, why)) {
    ParseResult result;
    result.error = Error{Position{path, 0, 0}, "cannot read config file: " + why};
    return result;
  }
  return parseString(text, path);
}

}  // namespace ftgate::conf

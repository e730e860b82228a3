// The config language's lexer: one pass over the text, tokens on demand.
//
// The language is context-sensitive in one place: a bare word ends earlier in a key than in a
// value. In `listen: 0.0.0.0:6221` the key stops at ':' but the value keeps its colons, so the
// parser says which it wants (Mode::Key or Mode::Value) each time it asks for a token.
// Spaces, tabs and '\r' are skipped; '#' and '//' comments run to the end of the line; a
// newline is a token because it ends a statement.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/conf/value.h"

namespace ftgate::conf {

struct Token {
  enum class Kind {
    End,  // end of the text
    Newline,
    Comma,
    Semicolon,
    Separator,  // ':' or '=' between key and value (Key mode only)
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Word,      // bare word; text is the word
    Quoted,    // quoted string; text is decoded
    Variable,  // $NAME; text is NAME
    Error,     // text is the message, pos where the problem is
  };
  Kind kind = Kind::End;
  std::string text;
  Position pos;
};

// A short description of a token for messages: "'}'", "end of file", "word \"x\"".
std::string describe(const Token& token);

class Lexer {
 public:
  enum class Mode { Key, Value };
  // `text` must outlive the lexer. `file` names the text in positions.
  Lexer(std::string_view text, std::string file);

  Token next(Mode mode);
  // Skips spaces and tabs (not newlines) and reports whether the next character is ':' or '='
  // (consuming it), so the parser can tell `key: v` / `key = v` from `key v`.
  bool skipSeparator();
  // Position of the next unread character (after skipping nothing).
  Position here() const;
  const std::string& file() const { return file_; }

 private:
  char peek(size_t ahead = 0) const;
  void advance();
  void skipInlineSpace();
  Token make(Token::Kind kind, Position pos, std::string text = {});
  Token quoted(char quote);
  Token bareWord(Mode mode);
  Token variable();

  std::string_view text_;
  std::string file_;
  size_t offset_ = 0;
  int line_ = 1;
  int column_ = 1;
};

}  // namespace ftgate::conf

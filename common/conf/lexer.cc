#include "common/conf/lexer.h"

#include <cctype>
#include <cstdint>

namespace ftgate::conf {
namespace {

bool isInlineSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// Characters that end a bare key: `key: v`, `key=v`, `key {`, `key [`...
bool endsKey(char c) {
  switch (c) {
    case ':':
    case '=':
    case '{':
    case '}':
    case '[':
    case ']':
    case ',':
    case ';':
    case '#':
    case '"':
    case '\'':
    case '\n':
    case ' ':
    case '\t':
    case '\r':
    case '\f':
    case '\v':
    case '\0':
      return true;
    default:
      return false;
  }
}

// Characters that end a bare value. Colons, slashes and dots belong to the value
// (nats://127.0.0.1:6222, /opt/nats_state, 0.0.0.0:6221).
bool endsValue(char c) {
  switch (c) {
    case ',':
    case ';':
    case '}':
    case ']':
    case '\n':
    case ' ':
    case '\t':
    case '\r':
    case '\f':
    case '\v':
    case '\0':
      return true;
    default:
      return false;
  }
}

bool isVariableChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string describe(const Token& token) {
  switch (token.kind) {
    case Token::Kind::End:
      return "end of file";
    case Token::Kind::Newline:
      return "end of line";
    case Token::Kind::Comma:
      return "','";
    case Token::Kind::Semicolon:
      return "';'";
    case Token::Kind::Separator:
      return "'" + token.text + "'";
    case Token::Kind::LBrace:
      return "'{'";
    case Token::Kind::RBrace:
      return "'}'";
    case Token::Kind::LBracket:
      return "'['";
    case Token::Kind::RBracket:
      return "']'";
    case Token::Kind::Word:
      return "\"" + token.text + "\"";
    case Token::Kind::Quoted:
      return "string \"" + token.text + "\"";
    case Token::Kind::Variable:
      return "$" + token.text;
    case Token::Kind::Error:
      return token.text;
  }
  return "token";
}

Lexer::Lexer(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {}

char Lexer::peek(size_t ahead) const {
  return offset_ + ahead < text_.size() ? text_[offset_ + ahead] : '\0';
}

void Lexer::advance() {
  if (offset_ >= text_.size()) return;
  if (text_[offset_] == '\n') {
    ++line_;
    column_ = 1;
  } else {
    ++column_;
  }
  ++offset_;
}

Position Lexer::here() const { return Position{file_, line_, column_}; }

void Lexer::skipInlineSpace() {
  while (offset_ < text_.size() && isInlineSpace(text_[offset_])) advance();
}

Token Lexer::make(Token::Kind kind, Position pos, std::string text) {
  return Token{kind, std::move(text), std::move(pos)};
}

bool Lexer::skipSeparator() {
  skipInlineSpace();
  if (peek() == ':' || peek() == '=') {
    advance();
    return true;
  }
  return false;
}

Token Lexer::next(Mode mode) {
  for (;;) {
    skipInlineSpace();
    if (offset_ >= text_.size()) return make(Token::Kind::End, here());
    char c = peek();
    if (c == '#' || (c == '/' && peek(1) == '/')) {
      while (offset_ < text_.size() && peek() != '\n') advance();
      continue;
    }
    Position pos = here();
    switch (c) {
      case '\n':
        advance();
        return make(Token::Kind::Newline, pos);
      case ',':
        advance();
        return make(Token::Kind::Comma, pos);
      case ';':
        advance();
        return make(Token::Kind::Semicolon, pos);
      case '{':
        advance();
        return make(Token::Kind::LBrace, pos);
      case '}':
        advance();
        return make(Token::Kind::RBrace, pos);
      case '[':
        advance();
        return make(Token::Kind::LBracket, pos);
      case ']':
        advance();
        return make(Token::Kind::RBracket, pos);
      case '"':
      case '\'':
        return quoted(c);
      default:
        break;
    }
    if (mode == Mode::Key && (c == ':' || c == '=')) {
      advance();
      return make(Token::Kind::Separator, pos, std::string(1, c));
    }
    if (mode == Mode::Value && c == '$') return variable();
    if (c == '\0') {
      advance();
      return make(Token::Kind::Error, pos, "unexpected NUL byte");
    }
    return bareWord(mode);
  }
}

Token Lexer::quoted(char quote) {
  Position start = here();
  advance();  // opening quote
  std::string out;
  for (;;) {
    if (offset_ >= text_.size() || peek() == '\n') {
      return make(Token::Kind::Error, start,
                  std::string("string is never closed (expected a closing ") + quote +
                      " on the same line)");
    }
    char c = peek();
    if (c == quote) {
      advance();
      return make(Token::Kind::Quoted, start, std::move(out));
    }
    if (c == '\\' && quote == '"') {
      Position escapePos = here();
      advance();
      char e = peek();
      int digits = 0;
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'u':
          digits = 4;
          break;
        case 'U':
          digits = 8;
          break;
        default:
          if (e == '\n' || offset_ >= text_.size()) {
            return make(Token::Kind::Error, start,
                        "string is never closed (expected a closing \" on the same line)");
          }
          return make(Token::Kind::Error, escapePos,
                      std::string("invalid escape '\\") + e +
                          "' in string (expected one of \\n \\t \\r \\b \\f \\\" \\\\ \\/ "
                          "\\uXXXX \\UXXXXXXXX)");
      }
      advance();
      if (digits > 0) {
        uint32_t cp = 0;
        for (int i = 0; i < digits; ++i) {
          int h = hexValue(peek());
          if (h < 0) {
            return make(Token::Kind::Error, escapePos,
                        std::string("expected ") + std::to_string(digits) +
                            " hex digits after '\\" + e + "'");
          }
          cp = cp * 16 + static_cast<uint32_t>(h);
          advance();
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
          return make(Token::Kind::Error, escapePos,
                      "escape '\\" + std::string(1, e) + "' names no valid Unicode character");
        }
        appendUtf8(out, cp);
      }
      continue;
    }
    out += c;
    advance();
  }
}

Token Lexer::bareWord(Mode mode) {
  Position start = here();
  size_t begin = offset_;
  while (offset_ < text_.size() && !(mode == Mode::Key ? endsKey(peek()) : endsValue(peek()))) {
    advance();
  }
  return make(Token::Kind::Word, start, std::string(text_.substr(begin, offset_ - begin)));
}

Token Lexer::variable() {
  Position start = here();
  advance();  // '$'
  size_t begin = offset_;
  while (offset_ < text_.size() && isVariableChar(peek())) advance();
  if (offset_ == begin) {
    return make(Token::Kind::Error, start, "expected a variable name after '$'");
  }
  if (!endsValue(peek())) {
    return make(Token::Kind::Error, here(),
                "unexpected '" + std::string(1, peek()) +
                    "' in variable name (names are letters, digits and '_')");
  }
  return make(Token::Kind::Variable, start, std::string(text_.substr(begin, offset_ - begin)));
}

}  // namespace ftgate::conf

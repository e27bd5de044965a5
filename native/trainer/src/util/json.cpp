#include "util/json.h"

#include <cmath>
#include <cstdio>
#include <cctype>
#include <cstring>

#include "util/errors.h"

namespace trainer {

namespace {

const char* typeName(Json::Type t) {
  switch (t) {
    case Json::Type::kNull: return "null";
    case Json::Type::kBool: return "boolean";
    case Json::Type::kNumber: return "number";
    case Json::Type::kString: return "string";
    case Json::Type::kArray: return "array";
    case Json::Type::kObject: return "object";
  }
  return "?";
}

[[noreturn]] void wrongType(const std::string& what, const char* expected, Json::Type got) {
  throw TrainerError(error_code::kInvalidArgument,
                     "'" + what + "' must be " + expected + ", got " + typeName(got));
}

// Recursive-descent parser over the raw text; depth-limited so hostile input
// on stdin cannot overflow the stack.
class Parser {
 public:
  explicit Parser(const std::string& text) : s_(text) {}

  Json parseDocument() {
    skipSpace();
    Json v = parseValue(0);
    skipSpace();
    if (pos_ != s_.size()) fail("trailing characters after the JSON value");
    return v;
  }

 private:
  static constexpr int kMaxDepth = 64;

  [[noreturn]] void fail(const std::string& why) const {
    throw TrainerError(error_code::kMalformedJson,
                       "malformed JSON at byte " + std::to_string(pos_) + ": " + why);
  }
  void skipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool consume(const char* word) {
    const size_t n = std::strlen(word);
    if (s_.compare(pos_, n, word) == 0) {
      pos_ += n;
      return true;
    }
    return false;
  }

  Json parseValue(int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than 64");
    if (pos_ >= s_.size()) fail("unexpected end of input");
    const char c = s_[pos_];
    if (c == '{') return parseObject(depth);
    if (c == '[') return parseArray(depth);
    if (c == '"') return Json(parseString());
    if (consume("true")) return Json(true);
    if (consume("false")) return Json(false);
    if (consume("null")) return Json(nullptr);
    if (c == '-' || (c >= '0' && c <= '9')) return Json(parseNumber());
    fail(std::string("unexpected character '") + c + "'");
  }

  Json parseObject(int depth) {
    ++pos_;  // '{'
    Json::Object obj;
    skipSpace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return Json(std::move(obj));
    }
    for (;;) {
      skipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a string key");
      std::string key = parseString();
      skipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ':') fail("expected ':'");
      ++pos_;
      skipSpace();
      Json value = parseValue(depth + 1);
      if (obj.count(key)) fail("duplicate key \"" + key + "\"");
      obj.emplace(std::move(key), std::move(value));
      skipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return Json(std::move(obj));
      }
      fail("expected ',' or '}'");
    }
  }

  Json parseArray(int depth) {
    ++pos_;  // '['
    Json::Array arr;
    skipSpace();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return Json(std::move(arr));
    }
    for (;;) {
      skipSpace();
      arr.push_back(parseValue(depth + 1));
      skipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return Json(std::move(arr));
      }
      fail("expected ',' or ']'");
    }
  }

  unsigned hex4() {
    if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
      else fail("bad hex digit in \\u escape");
    }
    return v;
  }

  static void appendUtf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  std::string parseString() {
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      if (pos_ >= s_.size()) fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(s_[pos_++]);
      if (c == '"') return out;
      if (c < 0x20) fail("control character in string");
      if (c != '\\') {
        out += char(c);
        continue;
      }
      if (pos_ >= s_.size()) fail("unterminated escape");
      const char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (!consume("\\u")) fail("lone high surrogate");
            const unsigned lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail("bad low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail("lone low surrogate");
          }
          appendUtf8(out, cp);
          break;
        }
        default: fail("unknown escape");
      }
    }
  }

  double parseNumber() {
    const size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size()) fail("truncated number");
    if (s_[pos_] == '0') {
      ++pos_;
    } else if (s_[pos_] >= '1' && s_[pos_] <= '9') {
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    } else {
      fail("bad number");
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (pos_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[pos_]))) fail("bad fraction");
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (pos_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[pos_]))) fail("bad exponent");
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    const std::string token = s_.substr(start, pos_ - start);
    const double v = std::strtod(token.c_str(), nullptr);
    if (!std::isfinite(v)) fail("number out of range");
    return v;
  }

  const std::string& s_;
  size_t pos_ = 0;
};

void dumpString(const std::string& s, std::string& out) {
  out += '"';
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

}  // namespace

bool Json::asBool(const std::string& what) const {
  if (type_ != Type::kBool) wrongType(what, "a boolean", type_);
  return bool_;
}
double Json::asNumber(const std::string& what) const {
  if (type_ != Type::kNumber) wrongType(what, "a number", type_);
  return number_;
}
int64_t Json::asInt(const std::string& what) const {
  const double d = asNumber(what);
  if (d != std::floor(d) || std::fabs(d) > 9007199254740992.0) {
    throw TrainerError(error_code::kInvalidArgument, "'" + what + "' must be an integer");
  }
  return static_cast<int64_t>(d);
}
const std::string& Json::asString(const std::string& what) const {
  if (type_ != Type::kString) wrongType(what, "a string", type_);
  return string_;
}
const Json::Array& Json::asArray(const std::string& what) const {
  if (type_ != Type::kArray) wrongType(what, "an array", type_);
  return array_;
}
const Json::Object& Json::asObject(const std::string& what) const {
  if (type_ != Type::kObject) wrongType(what, "an object", type_);
  return object_;
}
Json::Array& Json::mutableArray() {
  if (type_ == Type::kNull) type_ = Type::kArray;
  if (type_ != Type::kArray) wrongType("value", "an array", type_);
  return array_;
}
Json::Object& Json::mutableObject() {
  if (type_ == Type::kNull) type_ = Type::kObject;
  if (type_ != Type::kObject) wrongType("value", "an object", type_);
  return object_;
}

bool Json::has(const std::string& key) const { return type_ == Type::kObject && object_.count(key) > 0; }
const Json* Json::get(const std::string& key) const {
  if (type_ != Type::kObject) return nullptr;
  const auto it = object_.find(key);
  return it == object_.end() ? nullptr : &it->second;
}
const Json& Json::at(const std::string& key) const {
  const Json* v = get(key);
  if (!v) throw TrainerError(error_code::kInvalidArgument, "missing field '" + key + "'");
  return *v;
}
Json& Json::operator[](const std::string& key) { return mutableObject()[key]; }
void Json::push(Json v) { mutableArray().push_back(std::move(v)); }

double Json::numberOr(const std::string& key, double fallback) const {
  const Json* v = get(key);
  return (v && !v->isNull()) ? v->asNumber(key) : fallback;
}
int64_t Json::intOr(const std::string& key, int64_t fallback) const {
  const Json* v = get(key);
  return (v && !v->isNull()) ? v->asInt(key) : fallback;
}
bool Json::boolOr(const std::string& key, bool fallback) const {
  const Json* v = get(key);
  return (v && !v->isNull()) ? v->asBool(key) : fallback;
}
std::string Json::stringOr(const std::string& key, const std::string& fallback) const {
  const Json* v = get(key);
  return (v && !v->isNull()) ? v->asString(key) : fallback;
}

std::string Json::dump() const {
  std::string out;
  dumpTo(out);
  return out;
}

void Json::dumpTo(std::string& out) const {
  switch (type_) {
    case Type::kNull: out += "null"; break;
    case Type::kBool: out += bool_ ? "true" : "false"; break;
    case Type::kNumber: {
      if (!std::isfinite(number_)) {
        out += "null";  // JSON has no NaN/Inf; the protocol documents null
        break;
      }
      char buf[32];
      if (number_ == std::floor(number_) && std::fabs(number_) < 9007199254740992.0) {
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(number_));
      } else {
        // %.17g round-trips a double exactly.
        std::snprintf(buf, sizeof buf, "%.17g", number_);
      }
      out += buf;
      break;
    }
    case Type::kString: dumpString(string_, out); break;
    case Type::kArray: {
      out += '[';
      for (size_t i = 0; i < array_.size(); ++i) {
        if (i) out += ',';
        array_[i].dumpTo(out);
      }
      out += ']';
      break;
    }
    case Type::kObject: {
      out += '{';
      bool first = true;
      for (const auto& kv : object_) {
        if (!first) out += ',';
        first = false;
        dumpString(kv.first, out);
        out += ':';
        kv.second.dumpTo(out);
      }
      out += '}';
      break;
    }
  }
}

Json Json::parse(const std::string& text) { return Parser(text).parseDocument(); }

}  // namespace trainer

#include "data/npy_header.h"

#include <cctype>
#include <cstring>

#include "util/errors.h"

namespace trainer {

namespace {

const char kMagic[kNpyMagicBytes + 1] = "\x93NUMPY";

[[noreturn]] void fail(const std::string& why) { throw TrainerError(error_code::kData, why); }

// A cursor over the header dict's text with just enough of Python's literal
// syntax for what numpy.lib.format writes.
class DictReader {
 public:
  DictReader(const char* text, size_t n) : p_(text), end_(text + n) {}

  void skipSpace() {
    while (p_ < end_ && std::isspace(static_cast<unsigned char>(*p_))) ++p_;
  }
  bool peek(char c) {
    skipSpace();
    return p_ < end_ && *p_ == c;
  }
  void expect(char c, const char* where) {
    if (!peek(c)) fail(std::string("header dict: expected '") + c + "' " + where);
    ++p_;
  }
  bool consume(char c) {
    if (!peek(c)) return false;
    ++p_;
    return true;
  }
  std::string string(const char* what) {
    skipSpace();
    if (p_ >= end_ || (*p_ != '\'' && *p_ != '"')) fail(std::string("header dict: ") + what + " is not a string");
    const char quote = *p_++;
    const char* begin = p_;
    while (p_ < end_ && *p_ != quote) {
      if (*p_ == '\\') fail(std::string("header dict: escapes in ") + what + " are not supported");
      ++p_;
    }
    if (p_ >= end_) fail(std::string("header dict: unterminated string in ") + what);
    return std::string(begin, p_++);
  }
  bool boolean(const char* what) {
    skipSpace();
    for (const auto& [word, value] : {std::pair<const char*, bool>{"True", true}, {"False", false}}) {
      const size_t len = std::strlen(word);
      if (static_cast<size_t>(end_ - p_) >= len && std::strncmp(p_, word, len) == 0) {
        p_ += len;
        return value;
      }
    }
    fail(std::string("header dict: ") + what + " is not True or False");
  }
  uint64_t integer(const char* what) {
    skipSpace();
    if (p_ >= end_ || !std::isdigit(static_cast<unsigned char>(*p_))) {
      fail(std::string("header dict: ") + what + " is not a non-negative integer");
    }
    uint64_t v = 0;
    while (p_ < end_ && std::isdigit(static_cast<unsigned char>(*p_))) {
      const uint64_t digit = static_cast<uint64_t>(*p_ - '0');
      if (v > (UINT64_MAX - digit) / 10) fail(std::string("header dict: ") + what + " overflows 64 bits");
      v = v * 10 + digit;
      ++p_;
    }
    return v;
  }
  // "()", "(n,)", "(a, b)", "(a, b,)".
  std::vector<uint64_t> tuple(const char* what) {
    if (!peek('(')) fail(std::string("header dict: ") + what + " is not a tuple");
    ++p_;
    std::vector<uint64_t> values;
    while (!consume(')')) {
      values.push_back(integer(what));
      if (!consume(',')) {
        expect(')', "to close 'shape'");
        break;
      }
    }
    return values;
  }
  bool atEnd() {
    skipSpace();
    return p_ >= end_;
  }

 private:
  const char* p_;
  const char* end_;
};

uint32_t readLe(const uint8_t* p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

}  // namespace

bool hasNpyMagic(const uint8_t* bytes, size_t n) {
  return n >= kNpyMagicBytes && std::memcmp(bytes, kMagic, kNpyMagicBytes) == 0;
}

size_t npyPreambleBytes(const uint8_t* first8) {
  const int major = first8[6], minor = first8[7];
  if (major == 1 && minor == 0) return 10;
  if (major == 2 && minor == 0) return 12;
  // 3.0 only changes the header's encoding to UTF-8, which token arrays never
  // need; anything else is from a future NumPy.
  fail(".npy format version " + std::to_string(major) + "." + std::to_string(minor) +
       " is not supported (expected 1.0 or 2.0)");
}

size_t npyHeaderEnd(const uint8_t* preamble) {
  const size_t fixed = npyPreambleBytes(preamble);
  return fixed + readLe(preamble + 8, fixed == 10 ? 2 : 4);
}

NpyHeader parseNpyHeader(const uint8_t* bytes, size_t n) {
  if (!hasNpyMagic(bytes, n)) fail("not a .npy file (no \\x93NUMPY magic)");
  if (n < 8) fail(".npy preamble truncated");
  NpyHeader h;
  h.majorVersion = bytes[6];
  h.minorVersion = bytes[7];
  const size_t fixed = npyPreambleBytes(bytes);
  if (n < fixed) fail(".npy preamble truncated");
  h.dataOffset = npyHeaderEnd(bytes);
  if (n < h.dataOffset) fail(".npy header truncated");
  DictReader dict(reinterpret_cast<const char*>(bytes + fixed), h.dataOffset - fixed);
  bool haveDescr = false, haveOrder = false, haveShape = false;
  dict.expect('{', "at the start of the header");
  while (!dict.consume('}')) {
    const std::string key = dict.string("a key");
    dict.expect(':', "after a key");
    if (key == "descr") {
      if (dict.peek('[')) fail("structured dtype (a list 'descr') is not a token array");
      h.descr = dict.string("'descr'");
      haveDescr = true;
    } else if (key == "fortran_order") {
      h.fortranOrder = dict.boolean("'fortran_order'");
      haveOrder = true;
    } else if (key == "shape") {
      h.shape = dict.tuple("'shape'");
      haveShape = true;
    } else {
      fail("header dict: unexpected key '" + key + "'");
    }
    if (!dict.consume(',')) {
      dict.expect('}', "after a value");
      break;
    }
  }
  if (!dict.atEnd()) fail("header dict: text after the closing '}'");
  if (!haveDescr || !haveOrder || !haveShape) fail("header dict lacks 'descr', 'fortran_order' or 'shape'");
  return h;
}

}  // namespace trainer

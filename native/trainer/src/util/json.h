// A small JSON value with a strict parser and a compact writer. The trainer
// needs JSON for configs, the NDJSON protocol and safetensors headers; a tiny
// self-contained implementation avoids a third-party dependency in the build.
// Numbers are doubles (integers up to 2^53 are exact, enough for token
// counts, steps and byte offsets).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace trainer {

class Json {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  using Array = std::vector<Json>;
  using Object = std::map<std::string, Json>;

  Json() = default;
  Json(std::nullptr_t) {}
  Json(bool b) : type_(Type::kBool), bool_(b) {}
  Json(double d) : type_(Type::kNumber), number_(d) {}
  Json(int i) : type_(Type::kNumber), number_(i) {}
  Json(int64_t i) : type_(Type::kNumber), number_(static_cast<double>(i)) {}
  Json(uint64_t i) : type_(Type::kNumber), number_(static_cast<double>(i)) {}
  Json(const char* s) : type_(Type::kString), string_(s) {}
  Json(std::string s) : type_(Type::kString), string_(std::move(s)) {}
  Json(Array a) : type_(Type::kArray), array_(std::move(a)) {}
  Json(Object o) : type_(Type::kObject), object_(std::move(o)) {}

  static Json object() { return Json(Object{}); }
  static Json array() { return Json(Array{}); }

  Type type() const { return type_; }
  bool isNull() const { return type_ == Type::kNull; }
  bool isBool() const { return type_ == Type::kBool; }
  bool isNumber() const { return type_ == Type::kNumber; }
  bool isString() const { return type_ == Type::kString; }
  bool isArray() const { return type_ == Type::kArray; }
  bool isObject() const { return type_ == Type::kObject; }

  // Typed accessors throw TrainerError(invalid_argument) naming `what`.
  bool asBool(const std::string& what = "value") const;
  double asNumber(const std::string& what = "value") const;
  int64_t asInt(const std::string& what = "value") const;  // must be integral
  const std::string& asString(const std::string& what = "value") const;
  const Array& asArray(const std::string& what = "value") const;
  const Object& asObject(const std::string& what = "value") const;
  Array& mutableArray();
  Object& mutableObject();

  // Object access. `get` returns nullptr when absent.
  bool has(const std::string& key) const;
  const Json* get(const std::string& key) const;
  const Json& at(const std::string& key) const;  // throws when absent
  Json& operator[](const std::string& key);      // inserts; turns null into object
  void push(Json v);                             // turns null into array

  // Convenience readers with defaults for optional fields.
  double numberOr(const std::string& key, double fallback) const;
  int64_t intOr(const std::string& key, int64_t fallback) const;
  bool boolOr(const std::string& key, bool fallback) const;
  std::string stringOr(const std::string& key, const std::string& fallback) const;

  std::string dump() const;  // compact, keys sorted (std::map order)

  // Strict RFC 8259 parse of the whole text; throws TrainerError(malformed_json).
  static Json parse(const std::string& text);

 private:
  void dumpTo(std::string& out) const;

  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  Array array_;
  Object object_;
};

}  // namespace trainer

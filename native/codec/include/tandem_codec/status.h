// Result type shared by every codec entry point: an error code, the payload
// field that caused it, and a human-readable message naming that field.
// The codec never throws for bad input; callers inspect the Status instead.
#pragma once

#include <string>

namespace tandem {

enum class ErrorCode {
  kOk = 0,
  kTruncated,           // payload ended before a field was complete
  kBadMagic,            // not a Tandem codec payload
  kUnsupportedVersion,  // a payload of another protocol version
  kChecksumMismatch,    // bytes were altered after encoding
  kInvalidField,        // a field holds a value outside its documented range
  kLimitExceeded,       // a size exceeds a safety limit (e.g. maxValues)
  kInvalidArgument,     // caller passed bad parameters to encode/aggregate
  kNonFiniteInput,      // NaN or Inf in a tensor handed to encode
  kLayoutMismatch,      // peers disagree on tensor names/shapes/chunking
  kNoValidPayloads,     // aggregation had nothing left after dropping peers
  kOutOfMemory,
};

const char* errorCodeName(ErrorCode code);

struct Status {
  ErrorCode code = ErrorCode::kOk;
  std::string field;    // the payload/argument field at fault ("" when ok)
  std::string message;  // always mentions `field` when not ok

  bool ok() const { return code == ErrorCode::kOk; }

  static Status success() { return Status{}; }
  // Builds "invalid field 'FIELD'[ (CONTEXT)]: DETAIL" so every rejection
  // names the field it is about.
  static Status error(ErrorCode code, std::string field, const std::string& detail,
                      const std::string& context = std::string());
};

}  // namespace tandem

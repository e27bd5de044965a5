#include "tandem_codec/status.h"

namespace tandem {

const char* errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "OK";
    case ErrorCode::kTruncated: return "TRUNCATED";
    case ErrorCode::kBadMagic: return "BAD_MAGIC";
    case ErrorCode::kUnsupportedVersion: return "UNSUPPORTED_VERSION";
    case ErrorCode::kChecksumMismatch: return "CHECKSUM_MISMATCH";
    case ErrorCode::kInvalidField: return "INVALID_FIELD";
    case ErrorCode::kLimitExceeded: return "LIMIT_EXCEEDED";
    case ErrorCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case ErrorCode::kNonFiniteInput: return "NON_FINITE_INPUT";
    case ErrorCode::kLayoutMismatch: return "LAYOUT_MISMATCH";
    case ErrorCode::kNoValidPayloads: return "NO_VALID_PAYLOADS";
    case ErrorCode::kOutOfMemory: return "OUT_OF_MEMORY";
  }
  return "UNKNOWN";
}

Status Status::error(ErrorCode code, std::string field, const std::string& detail,
                     const std::string& context) {
  Status s;
  s.code = code;
  s.message = "invalid field '" + field + "'";
  if (!context.empty()) s.message += " (" + context + ")";
  s.message += ": " + detail;
  s.field = std::move(field);
  return s;
}

}  // namespace tandem

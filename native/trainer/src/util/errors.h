// One exception type for every failure the trainer reports to its supervisor.
// The code is a stable machine-readable string (documented in PROTOCOL.md);
// the message is for humans. Kernels never throw: only the layers that talk
// to files, configs and the protocol do.
#pragma once

#include <stdexcept>
#include <string>

namespace trainer {

namespace error_code {
constexpr const char* kMalformedJson = "malformed_json";
constexpr const char* kUnknownCommand = "unknown_command";
constexpr const char* kInvalidArgument = "invalid_argument";
constexpr const char* kUnsupportedVersion = "unsupported_version";
constexpr const char* kNotLoaded = "not_loaded";
constexpr const char* kIo = "io_error";
constexpr const char* kData = "data_error";
constexpr const char* kCheckpoint = "checkpoint_error";
constexpr const char* kCodec = "codec_error";
constexpr const char* kNonFinite = "non_finite";
constexpr const char* kNoDevice = "no_cuda_device";
constexpr const char* kInternal = "internal";
constexpr const char* kNotStaged = "not_staged";  // apply_outer named a key stage_payload does not hold
}  // namespace error_code

class TrainerError : public std::runtime_error {
 public:
  TrainerError(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

}  // namespace trainer

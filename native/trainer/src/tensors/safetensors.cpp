#include "tensors/safetensors.h"

#include <cstring>

#include "util/atomic_file.h"
#include "util/errors.h"
#include "util/json.h"

namespace trainer {

namespace {
uint64_t numelOf(const std::vector<uint64_t>& shape) {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  return n;
}
}  // namespace

std::vector<uint8_t> encodeSafetensors(const std::vector<SafetensorsEntry>& tensors,
                                       const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  Json meta = Json::object();
  for (const auto& kv : metadata) meta[kv.first] = kv.second;
  header["__metadata__"] = meta;
  uint64_t offset = 0;
  for (const SafetensorsEntry& t : tensors) {
    Json entry = Json::object();
    entry["dtype"] = "F32";
    Json shape = Json::array();
    for (uint64_t d : t.shape) shape.push(Json(d));
    entry["shape"] = shape;
    const uint64_t bytes = numelOf(t.shape) * 4;
    entry["data_offsets"] = Json(Json::Array{Json(offset), Json(offset + bytes)});
    header[t.name] = entry;
    offset += bytes;
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text += ' ';  // keeps tensor data 8-byte aligned
  std::vector<uint8_t> out(8 + text.size() + offset);
  const uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<uint8_t>(n >> (8 * i));
  std::memcpy(out.data() + 8, text.data(), text.size());
  uint8_t* data = out.data() + 8 + text.size();
  for (const SafetensorsEntry& t : tensors) {
    const size_t bytes = numelOf(t.shape) * 4;
    // Host is little-endian (x86-64/aarch64), as the format requires.
    if (bytes) std::memcpy(data, t.data, bytes);
    data += bytes;
  }
  return out;
}

void writeSafetensors(const std::string& path, const std::vector<SafetensorsEntry>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  writeFileAtomically(path, encodeSafetensors(tensors, metadata));
}

SafetensorsFile decodeSafetensors(const std::vector<uint8_t>& bytes, const std::string& context) {
  auto fail = [&](const std::string& why) {
    throw TrainerError(error_code::kCheckpoint, "safetensors '" + context + "': " + why);
  };
  if (bytes.size() < 8) fail("shorter than the 8-byte header length");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(bytes[static_cast<size_t>(i)]) << (8 * i);
  if (n > bytes.size() - 8 || n > (uint64_t(100) << 20)) fail("header length " + std::to_string(n) + " out of range");
  Json header;
  try {
    header = Json::parse(std::string(reinterpret_cast<const char*>(bytes.data()) + 8, static_cast<size_t>(n)));
  } catch (const TrainerError& e) {
    fail(std::string("header is not JSON: ") + e.what());
  }
  if (!header.isObject()) fail("header is not a JSON object");
  const uint64_t dataBytes = bytes.size() - 8 - n;
  const uint8_t* data = bytes.data() + 8 + n;
  SafetensorsFile file;
  std::map<uint64_t, uint64_t> ranges;  // begin -> end, for the overlap check
  for (const auto& kv : header.asObject()) {
    if (kv.first == "__metadata__") {
      if (!kv.second.isObject()) fail("__metadata__ is not an object");
      for (const auto& m : kv.second.asObject()) {
        if (!m.second.isString()) fail("__metadata__." + m.first + " is not a string");
        file.metadata[m.first] = m.second.asString();
      }
      continue;
    }
    const Json& e = kv.second;
    if (!e.isObject()) fail("entry '" + kv.first + "' is not an object");
    const Json* dtype = e.get("dtype");
    if (!dtype || !dtype->isString() || dtype->asString() != "F32") fail("tensor '" + kv.first + "': dtype must be F32");
    const Json* shape = e.get("shape");
    const Json* offsets = e.get("data_offsets");
    if (!shape || !shape->isArray()) fail("tensor '" + kv.first + "': missing shape");
    if (!offsets || !offsets->isArray() || offsets->asArray().size() != 2) {
      fail("tensor '" + kv.first + "': data_offsets must be [begin, end]");
    }
    LoadedTensor t;
    uint64_t numel = 1;
    for (const Json& d : shape->asArray()) {
      if (!d.isNumber() || d.asNumber() < 0 || d.asNumber() > 4.0e12) fail("tensor '" + kv.first + "': bad shape");
      t.shape.push_back(static_cast<uint64_t>(d.asInt("shape")));
      numel *= t.shape.back();
      if (numel > (uint64_t(1) << 40)) fail("tensor '" + kv.first + "': too large");
    }
    const uint64_t begin = static_cast<uint64_t>(offsets->asArray()[0].asInt("data_offsets"));
    const uint64_t end = static_cast<uint64_t>(offsets->asArray()[1].asInt("data_offsets"));
    if (begin > end || end > dataBytes) fail("tensor '" + kv.first + "': data_offsets outside the file");
    if (end - begin != numel * 4) fail("tensor '" + kv.first + "': data_offsets do not match shape");
    if (begin != end && !ranges.emplace(begin, end).second) fail("tensor '" + kv.first + "': overlapping data");
    t.values.resize(static_cast<size_t>(numel));
    if (numel) std::memcpy(t.values.data(), data + begin, static_cast<size_t>(numel * 4));
    file.tensors.emplace(kv.first, std::move(t));
  }
  uint64_t expect = 0;
  for (const auto& r : ranges) {
    if (r.first != expect) fail("tensor data has a hole or an overlap at byte " + std::to_string(r.first));
    expect = r.second;
  }
  if (expect != dataBytes) fail("trailing bytes after the last tensor");
  return file;
}

SafetensorsFile readSafetensors(const std::string& path) {
  std::vector<uint8_t> bytes;
  try {
    bytes = readWholeFile(path);
  } catch (const TrainerError& e) {
    throw TrainerError(error_code::kCheckpoint, e.what());
  }
  return decodeSafetensors(bytes, path);
}

}  // namespace trainer

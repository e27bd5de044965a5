#include <dirent.h>

#include <cstring>
#include <vector>

#include "tensors/safetensors.h"
#include "test_harness.h"
#include "util/atomic_file.h"
#include "util/errors.h"

using namespace trainer;

TEST(safetensors_round_trip) {
  const std::vector<float> a = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, -8.5f};
  const std::vector<float> b = {42.0f};
  const std::string path = testing::scratchDir() + "/rt.safetensors";
  writeSafetensors(path, {{"w.a", {2, 3}, a.data()}, {"b", {1}, b.data()}}, {{"step", "12"}});
  const std::vector<uint8_t> bytes = readWholeFile(path);
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  CHECK(n % 8 == 0);
  CHECK(bytes[8] == '{');
  const SafetensorsFile f = readSafetensors(path);
  CHECK(f.metadata.at("step") == "12");
  CHECK(f.tensors.at("w.a").shape == (std::vector<uint64_t>{2, 3}));
  CHECK(f.tensors.at("w.a").values == a);
  CHECK(f.tensors.at("b").values == b);
  // No temp file left behind by the atomic write.
  DIR* d = opendir(testing::scratchDir().c_str());
  bool tempLeft = false;
  while (const dirent* e = readdir(d)) tempLeft = tempLeft || std::strstr(e->d_name, "rt.safetensors.tmp") != nullptr;
  closedir(d);
  CHECK(!tempLeft);
}

TEST(safetensors_rejects_corruption) {
  const std::vector<float> a = {1, 2, 3, 4};
  const std::vector<uint8_t> good = encodeSafetensors({{"a", {4}, a.data()}}, {});
  auto rejected = [](const std::vector<uint8_t>& bytes) {
    try {
      decodeSafetensors(bytes, "test");
    } catch (const TrainerError& e) {
      return e.code() == "checkpoint_error";
    }
    return false;
  };
  CHECK(!rejected(good));
  std::vector<uint8_t> b = good;
  b.pop_back();
  CHECK(rejected(b));  // truncated data
  b = good;
  b.push_back(0);
  CHECK(rejected(b));  // trailing bytes
  b = good;
  b[0] = 0xFF;
  CHECK(rejected(b));  // header length beyond the file
  CHECK(rejected(std::vector<uint8_t>(4, 0)));
  const std::string evil = R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,9999]}})";
  std::vector<uint8_t> e(8, 0);
  e[0] = static_cast<uint8_t>(evil.size());
  e.insert(e.end(), evil.begin(), evil.end());
  e.resize(e.size() + 16);
  CHECK(rejected(e));  // offsets outside the file
  const std::string wrongType = R"({"a":{"dtype":"F16","shape":[4],"data_offsets":[0,16]}})";
  std::vector<uint8_t> w(8, 0);
  w[0] = static_cast<uint8_t>(wrongType.size());
  w.insert(w.end(), wrongType.begin(), wrongType.end());
  w.resize(w.size() + 16);
  CHECK(rejected(w));
}

#include <cstdio>
#include <set>
#include <vector>

#include "data/batch_sampler.h"
#include "data/prepare_data.h"
#include "data/token_shard.h"
#include "fixtures.h"
#include "test_harness.h"
#include "util/atomic_file.h"
#include "util/errors.h"

using namespace trainer;

TEST(shard_round_trip_and_header) {
  const std::vector<uint16_t> tokens = {0, 1, 255, 256, 257, 65535};
  const std::string path = testing::scratchDir() + "/rt_train_000000.bin";
  writeTokenShard(path, tokens);
  const std::vector<uint8_t> bytes = readWholeFile(path);
  CHECK(bytes.size() == 1024 + 12);
  CHECK(bytes[0] == (20240520 & 0xFF) && bytes[4] == 1 && bytes[8] == 6);
  CHECK(bytes[1024 + 10] == 0xFF && bytes[1024 + 11] == 0xFF);  // little-endian uint16
  CHECK(readTokenShard(path, 0).tokens == tokens);
  CHECK_THROWS(readTokenShard(path, 258));  // 65535 >= vocab
}

TEST(shard_rejects_corruption) {
  const std::string path = testing::scratchDir() + "/bad.bin";
  writeTokenShard(path, {1, 2, 3});
  std::vector<uint8_t> bytes = readWholeFile(path);
  auto expectReject = [&](std::vector<uint8_t> b, const char* what) {
    writeFileAtomically(path, b);
    bool rejected = false;
    try {
      readTokenShard(path, 0);
    } catch (const TrainerError& e) {
      rejected = e.code() == "data_error";
    }
    CHECK_MSG(rejected, what);
  };
  auto b = bytes;
  b[0] ^= 1;
  expectReject(b, "bad magic");
  b = bytes;
  b[4] = 2;
  expectReject(b, "bad version");
  b = bytes;
  b.pop_back();
  expectReject(b, "truncated");
  b = bytes;
  b[8] = 9;
  expectReject(b, "count mismatch");
  expectReject(std::vector<uint8_t>(10, 0), "short header");
}

TEST(sampler_is_deterministic_and_in_bounds) {
  std::vector<TokenShard> shards;
  shards.push_back(TokenShard{"a", testing::syntheticTokens(100, 1)});
  shards.push_back(TokenShard{"b", testing::syntheticTokens(10, 2)});  // too short for T+1 = 17? no: 10 < 17
  shards.push_back(TokenShard{"c", testing::syntheticTokens(50, 3)});
  const int T = 16;
  BatchSampler sampler(shards, T);
  CHECK(sampler.candidateCount() == (100 - 16) + 0 + (50 - 16));
  const uint64_t seed = BatchSampler::seedFor("peer-1", 7);
  CHECK(seed == BatchSampler::seedFor("peer-1", 7));
  CHECK(seed != BatchSampler::seedFor("peer-1", 8));
  CHECK(seed != BatchSampler::seedFor("peer-2", 7));
  std::set<size_t> shardsSeen;
  for (uint64_t j = 0; j < 500; ++j) {
    const SamplePosition p = sampler.position(seed, j);
    CHECK(p.shard != 1);
    CHECK(p.start + T + 1 <= shards[p.shard].tokens.size());
    shardsSeen.insert(p.shard);
  }
  CHECK(shardsSeen.size() == 2);
  // fill() copies exactly the positioned tokens, targets shifted by one.
  std::vector<int32_t> tok(3 * T), tgt(3 * T);
  sampler.fill("peer-1", 7, 2, 5, 1, 3, tok.data(), tgt.data());
  for (int r = 0; r < 3; ++r) {
    const SamplePosition p = sampler.position(seed, 2 * 5 + 1 + r);
    for (int t = 0; t < T; ++t) {
      CHECK(tok[r * T + t] == shards[p.shard].tokens[p.start + t]);
      CHECK(tgt[r * T + t] == shards[p.shard].tokens[p.start + t + 1]);
    }
  }
  CHECK_THROWS(BatchSampler({TokenShard{"x", testing::syntheticTokens(5, 1)}}, 16));
}

TEST(prepare_data_makes_byte_shards) {
  const std::string dir = testing::scratchDir() + "/prepared";
  const std::string a = testing::scratchDir() + "/a.txt", b = testing::scratchDir() + "/b.txt";
  const std::string textA(900, 'x'), textB = "Hello, world.\n";
  writeFileAtomically(a, std::vector<uint8_t>(textA.begin(), textA.end()));
  writeFileAtomically(b, std::vector<uint8_t>(textB.begin(), textB.end()));
  PrepareDataOptions o;
  o.inputs = {a, b};
  o.outputDir = dir;
  o.valFraction = 0.1;
  o.shardTokens = 500;
  const Json summary = prepareData(o);
  CHECK(summary.at("train_shards").asArray().size() == 2);
  CHECK(summary.at("val_shards").asArray().size() == 1);
  // Cut at the first document boundary after 90 %: the end of a.txt.
  CHECK(summary.at("train_tokens").asInt() == 901);
  CHECK(summary.at("val_tokens").asInt() == static_cast<int64_t>(textB.size()) + 1);
  const TokenShard val = readTokenShard(listShards(dir, "val")[0], kByteVocabSize);
  CHECK(val.tokens.front() == 'H' && val.tokens.back() == kEndOfTextToken);
  const std::vector<std::string> train = listShards(dir, "train");
  CHECK(train.size() == 2 && train[0] < train[1]);
  CHECK(readTokenShard(train[1], kByteVocabSize).tokens.back() == kEndOfTextToken);
}

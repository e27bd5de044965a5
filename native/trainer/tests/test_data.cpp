#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <vector>

#include "data/batch_sampler.h"
#include "data/prepare_data.h"
#include "data/shard_cache.h"
#include "data/token_shard.h"
#include "fixtures.h"
#include "test_harness.h"
#include "util/atomic_file.h"
#include "util/errors.h"

using namespace trainer;

namespace {

std::vector<uint32_t> tokensOf(const TokenShard& shard) {
  std::vector<uint32_t> out(shard.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = shard.at(i);
  return out;
}

template <typename T>
std::vector<uint32_t> widened(const std::vector<T>& tokens) {
  return std::vector<uint32_t>(tokens.begin(), tokens.end());
}

// A .npy file as numpy.lib.format writes it: magic, version, little-endian
// header length, the dict padded with spaces to a multiple of 64 bytes and
// ended by '\n', then `data` (written here independently of the reader).
std::vector<uint8_t> npyFile(const std::string& dict, const std::vector<uint8_t>& data, int major = 1) {
  const size_t preamble = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((preamble + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  for (size_t b = 0; b < preamble - 8; ++b) bytes.push_back(static_cast<uint8_t>(header.size() >> (8 * b)));
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

std::string npyDict(const std::string& descr, size_t count, const char* order = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': (" + std::to_string(count) + ",), }";
}

template <typename T>
std::vector<uint8_t> littleEndian(const std::vector<T>& tokens) {
  std::vector<uint8_t> out;
  for (T t : tokens) {
    for (size_t b = 0; b < sizeof(T); ++b) out.push_back(static_cast<uint8_t>(t >> (8 * b)));
  }
  return out;
}

std::string writeBytes(const std::string& name, const std::vector<uint8_t>& bytes) {
  const std::string path = testing::scratchDir() + "/" + name;
  writeFileAtomically(path, bytes);
  return path;
}

// The reader refuses `bytes` with a data_error naming the file and saying `why`.
void expectDataError(const std::string& name, const std::vector<uint8_t>& bytes, const std::string& why) {
  const std::string path = writeBytes(name, bytes);
  std::string code, message;
  try {
    readTokenShard(path, 0);
  } catch (const TrainerError& e) {
    code = e.code();
    message = e.what();
  }
  CHECK_MSG(code == "data_error", name << ": code '" << code << "', message '" << message << "'");
  CHECK_MSG(message.find(path) != std::string::npos, name << ": message does not name the file: " << message);
  CHECK_MSG(message.find(why) != std::string::npos, name << ": message lacks '" << why << "': " << message);
}

}  // namespace

TEST(shard_round_trip_and_header) {
  const std::vector<uint16_t> tokens = {0, 1, 255, 256, 257, 65535};
  const std::string path = testing::scratchDir() + "/rt_train_000000.bin";
  writeTokenShard(path, tokens);
  const std::vector<uint8_t> bytes = readWholeFile(path);
  CHECK(bytes.size() == 1024 + 12);
  CHECK(bytes[0] == (20240520 & 0xFF) && bytes[4] == 1 && bytes[8] == 6);
  CHECK(bytes[1024 + 10] == 0xFF && bytes[1024 + 11] == 0xFF);  // little-endian uint16
  const TokenShard shard = readTokenShard(path, 0);
  CHECK(tokensOf(shard) == widened(tokens));
  CHECK(shard.bytesPerToken() == 2 && shard.maxToken() == 65535);
  CHECK_THROWS(readTokenShard(path, 258));  // 65535 >= vocab
}

TEST(shard_rejects_corruption) {
  const std::string path = testing::scratchDir() + "/bad.bin";
  writeTokenShard(path, std::vector<uint16_t>{1, 2, 3});
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
    CHECK(p.start + T + 1 <= shards[p.shard].size());
    shardsSeen.insert(p.shard);
  }
  CHECK(shardsSeen.size() == 2);
  // fill() copies exactly the positioned tokens, targets shifted by one.
  std::vector<int32_t> tok(3 * T), tgt(3 * T);
  sampler.fill("peer-1", 7, 2, 5, 1, 3, tok.data(), tgt.data());
  for (int r = 0; r < 3; ++r) {
    const SamplePosition p = sampler.position(seed, 2 * 5 + 1 + r);
    for (int t = 0; t < T; ++t) {
      CHECK(tok[r * T + t] == static_cast<int32_t>(shards[p.shard].at(p.start + t)));
      CHECK(tgt[r * T + t] == static_cast<int32_t>(shards[p.shard].at(p.start + t + 1)));
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
  CHECK(val.at(0) == 'H' && val.at(val.size() - 1) == kEndOfTextToken);
  const std::vector<std::string> train = listShards(dir, "train");
  CHECK(train.size() == 2 && train[0] < train[1]);
  const TokenShard last = readTokenShard(train[1], kByteVocabSize);
  CHECK(last.at(last.size() - 1) == kEndOfTextToken);
}

TEST(shard_version_2_holds_uint32_tokens) {
  const std::vector<uint32_t> tokens = {0, 7, 65535, 65536, 100000, 0xFFFFFFFFu};
  const std::string path = testing::scratchDir() + "/wide_train_000000.bin";
  writeTokenShard(path, tokens);
  const std::vector<uint8_t> bytes = readWholeFile(path);
  CHECK(bytes.size() == 1024 + 4 * tokens.size());
  CHECK(bytes[4] == 2 && bytes[8] == 6);  // version 2, count 6
  CHECK(bytes[1024 + 12] == 0x00 && bytes[1024 + 14] == 0x01);  // 65536 little-endian
  const TokenShard shard = readTokenShard(path, 0);
  CHECK(shard.bytesPerToken() == 4);
  CHECK(tokensOf(shard) == tokens);
  CHECK(shard.maxToken() == 0xFFFFFFFFu);
  // The vocabulary check names the file, the token and where it is.
  writeTokenShard(path, std::vector<uint32_t>{5, 70000, 3});
  CHECK(readTokenShard(path, 70001).size() == 3);
  std::string message;
  try {
    readTokenShard(path, 70000);
  } catch (const TrainerError& e) {
    message = e.what();
  }
  CHECK_MSG(message.find(path) != std::string::npos && message.find("token 70000 at 1") != std::string::npos, message);
}

TEST(shard_version_2_rejects_corruption) {
  const std::string path = testing::scratchDir() + "/wide_bad.bin";
  writeTokenShard(path, std::vector<uint32_t>{1, 2, 3});
  const std::vector<uint8_t> good = readWholeFile(path);
  std::vector<uint8_t> b = good;
  b.pop_back();
  expectDataError("wide_truncated.bin", b, "does not match header count 3");
  b = good;
  b[4] = 1;  // a uint32 body under a version-1 header: 12 bytes where 6 were announced
  expectDataError("wide_as_v1.bin", b, "does not match header count 3");
  b = good;
  b[4] = 3;
  expectDataError("wide_v3.bin", b, "unsupported version 3");
  // A version-1 body announced as version 2.
  writeTokenShard(path, std::vector<uint16_t>{1, 2, 3, 4});
  b = readWholeFile(path);
  b[4] = 2;
  expectDataError("narrow_as_v2.bin", b, "does not match header count 4");
}

TEST(npy_shards_read_uint16_and_uint32) {
  const std::vector<uint16_t> narrow = {0, 1, 255, 256, 65535};
  const std::vector<uint32_t> wide = {0, 65536, 123456789, 0xFFFFFFFFu};
  for (int major : {1, 2}) {
    const std::string v = std::to_string(major);
    const TokenShard a =
        readTokenShard(writeBytes("u2_v" + v + ".npy", npyFile(npyDict("<u2", narrow.size()), littleEndian(narrow), major)), 0);
    CHECK(a.bytesPerToken() == 2 && tokensOf(a) == widened(narrow));
    const TokenShard b =
        readTokenShard(writeBytes("u4_v" + v + ".npy", npyFile(npyDict("<u4", wide.size()), littleEndian(wide), major)), 0);
    CHECK(b.bytesPerToken() == 4 && tokensOf(b) == wide);
  }
  // Any key order and either quote is a valid dict; an empty array is a valid (empty) shard.
  const TokenShard c = readTokenShard(
      writeBytes("reordered.npy", npyFile("{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<u2\"}",
                                          littleEndian(std::vector<uint16_t>{9, 8}))),
      0);
  CHECK(tokensOf(c) == (std::vector<uint32_t>{9, 8}));
  CHECK(readTokenShard(writeBytes("empty.npy", npyFile(npyDict("<u2", 0), {})), 0).size() == 0);
  // The format is told by content: a .npy under another name still reads.
  CHECK(readTokenShard(writeBytes("npy_named.bin", npyFile(npyDict("<u2", 1), {3, 0})), 0).at(0) == 3);
  // Tokens >= vocab_size are refused as in .bin shards.
  CHECK_THROWS(readTokenShard(writeBytes("big.npy", npyFile(npyDict("<u4", 1), littleEndian(std::vector<uint32_t>{258}))), 258));
}

TEST(npy_shards_reject_what_is_not_a_token_array) {
  const std::vector<uint8_t> six = littleEndian(std::vector<uint16_t>{1, 2, 3, 4, 5, 6});
  expectDataError("fortran.npy", npyFile(npyDict("<u2", 6, "True"), six), "fortran_order is True");
  expectDataError("int32.npy", npyFile(npyDict("<i4", 3), six), "dtype '<i4'");
  expectDataError("float32.npy", npyFile(npyDict("<f4", 3), six), "dtype '<f4'");
  expectDataError("uint8.npy", npyFile(npyDict("|u1", 6), six), "dtype '|u1'");
  expectDataError("int64.npy", npyFile(npyDict("<i8", 1), std::vector<uint8_t>(six.begin(), six.begin() + 8)), "dtype '<i8'");
  expectDataError("big_u2.npy", npyFile(npyDict(">u2", 6), six), "big-endian");
  expectDataError("big_u4.npy", npyFile(npyDict(">u4", 3), six), "big-endian");
  expectDataError("matrix.npy", npyFile("{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3), }", six),
                  "shape (2, 3) is 2-D");
  expectDataError("scalar.npy", npyFile("{'descr': '<u2', 'fortran_order': False, 'shape': (), }", six), "is 0-D");
  expectDataError("truncated.npy", npyFile(npyDict("<u2", 8), six), "truncated data");
  expectDataError("truncated_u4.npy", npyFile(npyDict("<u4", 2), std::vector<uint8_t>(six.begin(), six.begin() + 7)),
                  "truncated data");
  expectDataError("trailing.npy", npyFile(npyDict("<u2", 5), six), "2 bytes longer than shape (5,)");
  expectDataError("structured.npy", npyFile("{'descr': [('a', '<u2')], 'fortran_order': False, 'shape': (6,), }", six),
                  "structured dtype");
  expectDataError("no_shape.npy", npyFile("{'descr': '<u2', 'fortran_order': False, }", six), "lacks");
  expectDataError("extra_key.npy", npyFile("{'descr': '<u2', 'fortran_order': False, 'shape': (6,), 'x': 1}", six),
                  "unexpected key 'x'");
  expectDataError("not_a_dict.npy", npyFile("['<u2']", six), "expected '{'");
  std::vector<uint8_t> v3 = npyFile(npyDict("<u2", 6), six, 2);
  v3[6] = 3;
  expectDataError("v3.npy", v3, ".npy format version 3.0");
  const std::vector<uint8_t> whole = npyFile(npyDict("<u2", 6), six);
  expectDataError("cut_header.npy", std::vector<uint8_t>(whole.begin(), whole.begin() + 40), "header truncated");
  expectDataError("cut_preamble.npy", std::vector<uint8_t>(whole.begin(), whole.begin() + 7), "preamble truncated");
  expectDataError("empty_file.npy", {}, "shorter than the 1024-byte header");  // neither format
  std::string message;
  try {
    readTokenShard(testing::scratchDir() + "/does-not-exist.npy", 0);
  } catch (const TrainerError& e) {
    message = std::string(e.code()) + ": " + e.what();
  }
  CHECK_MSG(message.find("data_error: shard '") == 0 && message.find("does-not-exist.npy") != std::string::npos, message);
}

TEST(list_shards_takes_bin_and_npy_sorted_by_name) {
  const std::string dir = testing::scratchDir() + "/mixed";
  ::mkdir(dir.c_str(), 0755);
  writeTokenShard(dir + "/c_train_000002.bin", testing::syntheticTokens(40, 1));
  writeBytes("mixed/c_train_000001.npy", npyFile(npyDict("<u2", 1), {7, 0}));
  writeTokenShard(dir + "/c_train_000000.bin", std::vector<uint32_t>{1, 2});
  writeBytes("mixed/c_val_000000.npy", npyFile(npyDict("<u2", 1), {7, 0}));
  writeBytes("mixed/c_train_notes.txt", {'x'});
  const std::vector<std::string> train = listShards(dir, "train");
  CHECK((train == std::vector<std::string>{dir + "/c_train_000000.bin", dir + "/c_train_000001.npy",
                                           dir + "/c_train_000002.bin"}));
  CHECK((listShards(dir, "val") == std::vector<std::string>{dir + "/c_val_000000.npy"}));
}

// The sampler sees tokens, not their file format: the same tokens as a
// uint16 .bin, a uint32 .bin, a <u2 .npy and a <u4 .npy give the same batches.
TEST(sampler_is_the_same_over_every_shard_format) {
  const std::vector<uint16_t> a = testing::syntheticTokens(300, 7), b = testing::syntheticTokens(120, 8);
  std::vector<std::vector<std::string>> formats;
  writeTokenShard(testing::scratchDir() + "/fmt_a_u16.bin", a);
  writeTokenShard(testing::scratchDir() + "/fmt_b_u16.bin", b);
  formats.push_back({testing::scratchDir() + "/fmt_a_u16.bin", testing::scratchDir() + "/fmt_b_u16.bin"});
  writeTokenShard(testing::scratchDir() + "/fmt_a_u32.bin", widened(a));
  writeTokenShard(testing::scratchDir() + "/fmt_b_u32.bin", widened(b));
  formats.push_back({testing::scratchDir() + "/fmt_a_u32.bin", testing::scratchDir() + "/fmt_b_u32.bin"});
  formats.push_back({writeBytes("fmt_a.npy", npyFile(npyDict("<u2", a.size()), littleEndian(a))),
                     writeBytes("fmt_b.npy", npyFile(npyDict("<u4", b.size()), littleEndian(widened(b)), 2))});
  const int T = 16, B = 6;
  std::vector<std::vector<int32_t>> filled;
  for (const auto& paths : formats) {
    std::vector<TokenShard> shards;
    for (const std::string& p : paths) shards.push_back(readTokenShard(p, 258));
    const BatchSampler sampler(std::move(shards), T);
    std::vector<int32_t> tok(B * T), tgt(B * T);
    sampler.fill("peer-x", 3, 1, B, 0, B, tok.data(), tgt.data());
    tok.insert(tok.end(), tgt.begin(), tgt.end());
    filled.push_back(tok);
  }
  CHECK(filled[0] == filled[1]);
  CHECK(filled[0] == filled[2]);
  // Tokens above 65535 reach the model intact.
  const std::vector<uint32_t> high = {70000, 70001, 70002, 70003, 70004};
  const BatchSampler wide({TokenShard("high", high)}, 3);
  std::vector<int32_t> tok(3), tgt(3);
  wide.fill("p", 0, 0, 1, 0, 1, tok.data(), tgt.data());
  CHECK(tok[0] >= 70000 && tok[0] <= 70001 && tgt[0] == tok[0] + 1 && tok[2] == tok[0] + 2);
}

TEST(shard_cache_shares_live_shards_and_rereads_changed_files) {
  ShardCache cache;
  const std::string p = testing::writeShard("cache_a.bin", 100, 1), q = testing::writeShard("cache_b.bin", 80, 2);
  std::vector<SharedShard> first = cache.load({p, q}, 258);
  CHECK(first.size() == 2 && first[0]->path() == p && first[1]->path() == q);
  // While a sampler holds them, the same files are shared, in the order asked for.
  std::vector<SharedShard> again = cache.load({q, p}, 258);
  CHECK(again[0].get() == first[1].get() && again[1].get() == first[0].get());
  CHECK(cache.liveCount() == 2);
  // The vocabulary is checked on every use (the bytes are synthetic text < 128).
  CHECK_THROWS(cache.load({p}, 100));
  // A file replaced on disk is read again.
  writeTokenShard(p, std::vector<uint16_t>{1, 2, 3});
  const std::vector<SharedShard> changed = cache.load({p}, 258);
  CHECK(changed[0].get() != first[0].get() && changed[0]->size() == 3);
  // Nothing outlives the last sampler that holds it.
  first.clear();
  CHECK(cache.liveCount() == 2);  // `again` and `changed` still hold files
  again.clear();
  CHECK(cache.liveCount() == 1);
  CHECK_THROWS(cache.load({testing::scratchDir() + "/cache_missing.bin"}, 258));
}

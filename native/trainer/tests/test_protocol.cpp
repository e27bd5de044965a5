// NDJSON server round trips through string streams.
#include <sys/stat.h>

#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures.h"
#include "protocol/ndjson_server.h"
#include "server_fixture.h"
#include "test_harness.h"

using namespace trainer;

using testing::runServer;
using testing::withEvent;

TEST(protocol_hello_and_errors_keep_serving) {
  const auto events = runServer(
      "not json\n"
      "[1,2]\n"
      "{\"v\":1,\"id\":\"a\",\"cmd\":\"fly\"}\n"
      "{\"v\":2,\"id\":\"b\",\"cmd\":\"load\"}\n"
      "{\"id\":\"c\",\"cmd\":\"load\"}\n"
      "{\"v\":1,\"id\":\"d\",\"cmd\":\"train_window\",\"window\":0,\"peer_id\":\"p\",\"payload_path\":\"/x\"}\n"
      "{\"v\":1,\"id\":\"e\",\"cmd\":\"load\",\"model\":{\"hidden_size\":30,\"num_attention_heads\":4}}\n"
      "\n"
      "{\"v\":1,\"id\":7,\"cmd\":\"shutdown\"}\n"
      "{\"v\":1,\"id\":\"late\",\"cmd\":\"fly\"}\n");
  CHECK(events.front().at("event").asString() == "hello");
  CHECK(events.front().at("protocol").asInt() == 1);
  CHECK(events.front().at("backend").asString() == "cpu");
  const auto errors = withEvent(events, "error");
  CHECK(errors.size() == 7);
  if (errors.size() == 7) {
    CHECK(errors[0].at("code").asString() == "malformed_json" && errors[0].at("id").isNull());
    CHECK(errors[1].at("code").asString() == "malformed_json");
    CHECK(errors[2].at("code").asString() == "unknown_command" && errors[2].at("id").asString() == "a");
    CHECK(errors[3].at("code").asString() == "unsupported_version");
    CHECK(errors[4].at("code").asString() == "invalid_argument");
    CHECK(errors[5].at("code").asString() == "not_loaded");
    CHECK(errors[6].at("code").asString() == "invalid_argument");  // 30 % 4 != 0
  }
  const auto done = withEvent(events, "done");
  CHECK(done.size() == 1 && done[0].at("cmd").asString() == "shutdown" && done[0].at("id").asInt() == 7);
  CHECK(events.back().at("event").asString() == "done");  // nothing after shutdown
  for (const Json& e : events) CHECK(e.at("v").asInt() == 1);
}

// std::cin comes tied to std::cout; the server's reader thread must not flush
// the output behind emit()'s lock (that raced into duplicated event lines).
TEST(protocol_reader_never_flushes_the_output) {
  std::istringstream in("");
  std::ostringstream out;
  in.tie(&out);
  const trainer::NdjsonServer server(in, out, trainer::ServerOptions{0});
  CHECK(in.tie() == nullptr);
}

TEST(protocol_full_round_trip) {
  const auto scratch = testing::protocolScratch("proto-data", 5, 6);
  const std::string& dir = scratch.dir;
  const std::string& payload = scratch.payload;
  const std::string ckpt = testing::scratchDir() + "/proto.safetensors";
  const std::string input =
      scratch.load(0.003) +
      "{\"v\":1,\"id\":\"t\",\"cmd\":\"train_window\",\"window\":4,\"peer_id\":\"me\",\"steps\":3,\"payload_path\":\"" +
      payload +
      "\"}\n"
      "{\"v\":1,\"id\":\"c\",\"cmd\":\"checkpoint\",\"path\":\"" + ckpt + "\"}\n" +
      "{\"v\":1,\"id\":\"o\",\"cmd\":\"apply_outer\",\"payloads\":[\"" + payload + "\"]}\n" +
      "{\"v\":1,\"id\":\"e\",\"cmd\":\"evaluate\",\"peer_id\":\"v\",\"window\":4,\"steps\":2,\"split\":\"val\",\"payload_path\":\"" +
      payload + "\",\"lr\":0.4}\n" + "{\"v\":1,\"id\":\"s\",\"cmd\":\"shutdown\"}\n";
  const auto events = runServer(input);
  CHECK(withEvent(events, "error").empty());
  for (const Json& e : withEvent(events, "error")) std::printf("    unexpected error: %s\n", e.dump().c_str());
  const auto steps = withEvent(events, "step");
  CHECK(steps.size() == 3);
  if (!steps.empty()) {
    CHECK(steps[0].at("id").asString() == "t");
    CHECK(steps[0].at("loss").asNumber() > 0);
    CHECK(steps[0].at("tokens_per_s").asNumber() > 0);
    CHECK(steps[2].at("inner_step").asInt() == 3);
  }
  const auto done = withEvent(events, "done");
  CHECK(done.size() == 6);
  if (done.size() == 6) {
    CHECK(done[0].at("result").at("micro_batch").asInt() >= 1);
    CHECK(done[1].at("result").at("payload_bytes").asInt() > 0);
    CHECK(done[2].at("result").at("bytes").asInt() > 0);
    CHECK(done[3].at("result").at("used").asArray().size() == 1);
    CHECK(done[4].at("result").has("loss_after"));
    // One loss per step's batch, whose mean is the reported loss.
    const auto& before = done[4].at("result").at("losses_before").asArray();
    const auto& after = done[4].at("result").at("losses_after").asArray();
    CHECK(before.size() == 2 && after.size() == 2);
    if (after.size() == 2) {
      const double mean = (after[0].asNumber() + after[1].asNumber()) / 2;
      CHECK(std::fabs(mean - done[4].at("result").at("loss_after").asNumber()) < 1e-6);
      CHECK(after[0].asNumber() != after[1].asNumber());
    }
  }
  CHECK(!withEvent(events, "phase").empty());
  // A new process resumes from the checkpoint.
  const auto resumed = runServer("{\"v\":1,\"id\":\"l\",\"cmd\":\"load\",\"checkpoint\":\"" + ckpt +
                                 "\",\"data_dir\":\"" + dir + "\"}\n");
  const auto rdone = withEvent(resumed, "done");
  CHECK(rdone.size() == 1);
  if (!rdone.empty()) {
    CHECK(rdone[0].at("result").at("inner_step").asInt() == 3);
    CHECK(rdone[0].at("result").at("window_pending").asBool());
  }
}

// A validator judges a window's updates on the model their peers trained them
// from: apply_outer with keep_previous keeps the model the step started from,
// and evaluate with base "previous" measures on it, exactly as before the step.
TEST(protocol_evaluate_on_the_previous_model) {
  const auto scratch = testing::protocolScratch("proto-previous", 7, 8);
  const std::string& dir = scratch.dir;
  const std::string& payload = scratch.payload;
  const auto line = [](const std::string& id, const std::string& body) { return "{\"v\":1,\"id\":\"" + id + "\"," + body + "}\n"; };
  const std::string evaluate = "\"cmd\":\"evaluate\",\"peer_id\":\"v\",\"window\":4,\"steps\":2,\"payload_path\":\"" + payload + "\",\"lr\":0.4";
  const std::string apply = "\"cmd\":\"apply_outer\",\"payloads\":[\"" + payload + "\"]";
  const auto events = runServer(
      scratch.load(0.003) +
      line("t", "\"cmd\":\"train_window\",\"window\":4,\"peer_id\":\"me\",\"steps\":3,\"payload_path\":\"" + payload + "\"") +
      line("r", "\"cmd\":\"revert_window\"") +
      line("none", evaluate + ",\"base\":\"previous\"") +           // nothing kept yet: refused
      line("e0", evaluate) +                                        // on θ0
      line("o1", apply + ",\"keep_previous\":true") +               // θ1, θ0 kept
      line("prev", evaluate + ",\"base\":\"previous\"") +           // on θ0 again
      line("cur", evaluate) +                                       // on θ1
      line("bad", evaluate + ",\"base\":\"older\"") +               // not a base
      line("o2", apply) +                                           // θ2, nothing kept
      line("gone", evaluate + ",\"base\":\"previous\"") +
      line("o3", apply + ",\"keep_previous\":true") +               // θ3, θ2 kept
      line("o4", "\"cmd\":\"apply_outer\",\"payloads\":[\"" + dir + "/none.tndc\"],\"keep_previous\":true") +  // refused
      line("refused", evaluate + ",\"base\":\"previous\""));      // a refused step keeps no copy of the weights it left alone
  const auto done = withEvent(events, "done");
  const auto errors = withEvent(events, "error");
  const auto byId = [](const std::vector<Json>& list, const std::string& id) -> const Json* {
    for (const Json& e : list) if (e.at("id").asString() == id) return &e;
    return nullptr;
  };
  CHECK(byId(errors, "o4") != nullptr);
  for (const char* id : {"none", "bad", "gone", "refused"}) {
    const Json* e = byId(errors, id);
    CHECK(e != nullptr && e->at("code").asString() == "invalid_argument");
  }
  const Json* e0 = byId(done, "e0");
  const Json* prev = byId(done, "prev");
  const Json* cur = byId(done, "cur");
  CHECK(e0 && prev && cur && byId(done, "o1") && byId(done, "o2"));
  if (e0 && prev && cur) {
    // Bit for bit the losses of θ0, before and after the payload; θ1's are others.
    CHECK(prev->at("result").at("loss_before").asNumber() == e0->at("result").at("loss_before").asNumber());
    CHECK(prev->at("result").at("loss_after").asNumber() == e0->at("result").at("loss_after").asNumber());
    CHECK(cur->at("result").at("loss_before").asNumber() != e0->at("result").at("loss_before").asNumber());
  }
  // The evaluation on the kept model left the current one in place: o2's step starts from θ1, as without it.
  const auto again = runServer(
      scratch.load(0.003) +
      line("o1", apply) + line("o2", apply));
  const auto againDone = withEvent(again, "done");
  const Json* o2 = byId(done, "o2");
  const Json* o2again = byId(againDone, "o2");
  CHECK(o2 && o2again && o2->at("result").at("model_digest").asString() == o2again->at("result").at("model_digest").asString());
}

TEST(protocol_throttle_is_answered_and_validated) {
  const auto events = runServer(
      "{\"v\":1,\"id\":\"t\",\"cmd\":\"throttle\",\"pause_ms\":100,\"micro_batch_divisor\":2}\n"
      "{\"v\":1,\"id\":\"bad\",\"cmd\":\"throttle\",\"pause_ms\":-1}\n"
      "{\"v\":1,\"id\":\"off\",\"cmd\":\"throttle\"}\n");
  const auto done = withEvent(events, "done");
  CHECK(done.size() == 2);
  CHECK(done[0].at("cmd").asString() == "throttle");
  CHECK(done[0].at("result").at("pause_ms").asInt() == 100);
  CHECK(done[0].at("result").at("micro_batch_divisor").asInt() == 2);
  CHECK(done[1].at("result").at("pause_ms").asInt() == 0);
  const auto errors = withEvent(events, "error");
  CHECK(errors.size() == 1);
  CHECK(errors[0].at("code").asString() == "invalid_argument" && errors[0].at("id").asString() == "bad");
}

TEST(protocol_revert_window) {
  const auto scratch = testing::protocolScratch("revert-data", 5, 6);
  const std::string& payload = scratch.payload;
  const std::string evaluate = "\"cmd\":\"evaluate\",\"peer_id\":\"probe\",\"window\":0,\"split\":\"val\"}\n";
  // Train a window, then put the weights back without an outer step: the model is exactly what it was.
  const auto events = runServer(
      scratch.load(0.01) + "{\"v\":1,\"id\":\"before\"," + evaluate +
      "{\"v\":1,\"id\":\"t\",\"cmd\":\"train_window\",\"window\":9,\"peer_id\":\"me\",\"steps\":3,\"payload_path\":\"" +
      payload + "\"}\n" + "{\"v\":1,\"id\":\"trained\"," + evaluate + "{\"v\":1,\"id\":\"r\",\"cmd\":\"revert_window\"}\n" +
      "{\"v\":1,\"id\":\"after\"," + evaluate + "{\"v\":1,\"id\":\"r2\",\"cmd\":\"revert_window\"}\n");
  CHECK(withEvent(events, "error").empty());
  const auto done = withEvent(events, "done");
  CHECK(done.size() == 7);
  if (done.size() == 7) {
    const double before = done[1].at("result").at("loss_before").asNumber();
    const double trained = done[3].at("result").at("loss_before").asNumber();
    const double after = done[5].at("result").at("loss_before").asNumber();
    CHECK(trained != before);
    CHECK(after == before);
    CHECK(done[4].at("result").at("reverted").asBool());
    CHECK(done[4].at("result").at("window").asInt() == 9);
    CHECK(!done[6].at("result").at("reverted").asBool());
  }
}

// The window of the last aggregate travels with the weights: apply_outer
// records it, a checkpoint keeps it, and a new process reports it at load
// with the same model digest (what a restarted peer replays from).
TEST(protocol_applied_window_survives_a_restart) {
  const auto scratch = testing::protocolScratch("applied-data", 5, 6);
  const std::string& dir = scratch.dir;
  const std::string& payload = scratch.payload;
  const std::string ckpt = testing::scratchDir() + "/applied.safetensors";
  const std::string load = scratch.load(0.003);
  const auto events = runServer(
      load + "{\"v\":1,\"id\":\"t\",\"cmd\":\"train_window\",\"window\":7,\"peer_id\":\"me\",\"steps\":2,\"payload_path\":\"" +
      payload + "\"}\n" + "{\"v\":1,\"id\":\"o\",\"cmd\":\"apply_outer\",\"window\":6,\"payloads\":[\"" + payload + "\"]}\n" +
      "{\"v\":1,\"id\":\"c\",\"cmd\":\"checkpoint\",\"path\":\"" + ckpt + "\"}\n" +
      "{\"v\":1,\"id\":\"bad\",\"cmd\":\"apply_outer\",\"window\":-4,\"payloads\":[\"" + payload + "\"]}\n");
  const auto done = withEvent(events, "done");
  CHECK(done.size() == 4);
  std::string digest;
  if (done.size() == 4) {
    CHECK(done[0].at("result").at("applied_window").isNull());
    CHECK(done[2].at("result").at("applied_window").asInt() == 6);
    digest = done[2].at("result").at("model_digest").asString();
  }
  const auto errors = withEvent(events, "error");
  CHECK(errors.size() == 1 && errors[0].at("id").asString() == "bad");
  const auto resumed = withEvent(runServer("{\"v\":1,\"id\":\"l\",\"cmd\":\"load\",\"checkpoint\":\"" + ckpt +
                                           "\",\"data_dir\":\"" + dir + "\"}\n"),
                                 "done");
  CHECK(resumed.size() == 1);
  if (resumed.size() == 1) {
    CHECK(resumed[0].at("result").at("applied_window").asInt() == 6);
    CHECK(resumed[0].at("result").at("model_digest").asString() == digest);
    CHECK(!resumed[0].at("result").at("window_pending").asBool());
  }
}

namespace {
std::string jsonList(const std::vector<std::string>& paths) {
  Json list = Json::array();
  for (const std::string& p : paths) list.push(Json(p));
  return list.dump();
}
std::vector<double> stepLosses(const std::vector<Json>& events, const std::string& id) {
  std::vector<double> losses;
  for (const Json& e : withEvent(events, "step")) {
    if (e.at("id").asString() == id) losses.push_back(e.at("loss").asNumber());
  }
  return losses;
}
}  // namespace

// `shards` names the files a window trains on (or an evaluation reads): the
// same files as a folder, in the folder's order, give bit-identical batches;
// the loaded data_dir stays the data of commands without `shards`.
TEST(protocol_shard_lists_match_the_data_dir) {
  const std::string dir = testing::scratchDir() + "/list-data";
  ::mkdir(dir.c_str(), 0755);
  const std::vector<std::string> train = {dir + "/x_train_000000.bin", dir + "/x_train_000001.bin"};
  const std::string val = dir + "/x_val_000000.bin";
  writeTokenShard(train[0], testing::syntheticTokens(2000, 5));
  const std::vector<uint16_t> second = testing::syntheticTokens(900, 7);
  writeTokenShard(train[1], std::vector<uint32_t>(second.begin(), second.end()));  // uint32 on disk, same tokens
  writeTokenShard(val, testing::syntheticTokens(800, 6));
  const std::string model = testing::tinyModel().toJson().dump();
  const std::string settings = ",\"train\":{\"seq_len\":16,\"batch_size\":4,\"lr\":0.003}}\n";
  const std::string payload = "\"payload_path\":\"" + testing::scratchDir() + "/list.tndc\"";
  auto window = [&](const std::string& id, const std::string& extra) {
    return "{\"v\":1,\"id\":\"" + id + "\",\"cmd\":\"train_window\",\"window\":2,\"peer_id\":\"me\",\"steps\":3," + payload +
           extra + "}\n";
  };
  auto evaluate = [&](const std::string& id, const std::string& extra) {
    return "{\"v\":1,\"id\":\"" + id + "\",\"cmd\":\"evaluate\",\"peer_id\":\"v\",\"window\":5,\"steps\":2" + extra + "}\n";
  };
  const std::string shards = ",\"shards\":" + jsonList(train);

  const auto fromDir = runServer("{\"v\":1,\"id\":\"l\",\"cmd\":\"load\",\"model\":" + model + ",\"data_dir\":\"" + dir +
                                 "\"" + settings + evaluate("ev", ",\"split\":\"val\"") + window("t", ""));
  const auto fromList = runServer("{\"v\":1,\"id\":\"l\",\"cmd\":\"load\",\"model\":" + model + settings +
                                  evaluate("ev", ",\"shards\":" + jsonList({val})) + window("t", shards));
  const auto reversed = runServer("{\"v\":1,\"id\":\"l\",\"cmd\":\"load\",\"model\":" + model + settings +
                                  window("t", ",\"shards\":" + jsonList({train[1], train[0]})));
  for (const auto* events : {&fromDir, &fromList, &reversed}) {
    CHECK(withEvent(*events, "error").empty());
    for (const Json& e : withEvent(*events, "error")) std::printf("    unexpected error: %s\n", e.dump().c_str());
  }
  const std::vector<double> dirLosses = stepLosses(fromDir, "t"), listLosses = stepLosses(fromList, "t");
  CHECK(dirLosses.size() == 3);
  CHECK(dirLosses == listLosses);  // same batches, same weights: bit-identical
  CHECK(stepLosses(reversed, "t") != dirLosses);  // the order given is the sampler's order
  const auto dirDone = withEvent(fromDir, "done"), listDone = withEvent(fromList, "done");
  CHECK(dirDone.size() == 3 && listDone.size() == 3);
  if (dirDone.size() == 3 && listDone.size() == 3) {
    CHECK(dirDone[0].at("result").at("train_candidates").asInt() == (2000 - 16) + (900 - 16));
    CHECK(listDone[0].at("result").at("train_candidates").asInt() == 0);  // no data at load
    CHECK(dirDone[1].at("result").at("loss_before").asNumber() == listDone[1].at("result").at("loss_before").asNumber());
  }

  // load's train_shards / val_shards stand for data_dir's scan of that split.
  const auto loadedList = runServer("{\"v\":1,\"id\":\"l\",\"cmd\":\"load\",\"model\":" + model +
                                    ",\"train_shards\":" + jsonList(train) + ",\"val_shards\":" + jsonList({val}) +
                                    settings + evaluate("ev", ",\"split\":\"val\"") + window("t", ""));
  CHECK(withEvent(loadedList, "error").empty());
  CHECK(stepLosses(loadedList, "t") == dirLosses);
  const auto loadedDone = withEvent(loadedList, "done");
  if (loadedDone.size() == 3) {
    CHECK(loadedDone[0].at("result").at("train_candidates").asInt() == (2000 - 16) + (900 - 16));
    CHECK(loadedDone[1].at("result").at("loss_before").asNumber() == dirDone[1].at("result").at("loss_before").asNumber());
  }

  // A window on a shard list leaves the loaded train data in place: after
  // reverting it, the train split evaluates exactly as before.
  const auto kept = runServer("{\"v\":1,\"id\":\"l\",\"cmd\":\"load\",\"model\":" + model + ",\"data_dir\":\"" + dir +
                              "\"" + settings + evaluate("before", "") + window("t", ",\"shards\":" + jsonList({val})) +
                              "{\"v\":1,\"id\":\"r\",\"cmd\":\"revert_window\"}\n" + evaluate("after", ""));
  const auto keptDone = withEvent(kept, "done");
  CHECK(withEvent(kept, "error").empty() && keptDone.size() == 5);
  if (keptDone.size() == 5) {
    CHECK(keptDone[1].at("result").at("loss_before").asNumber() == keptDone[4].at("result").at("loss_before").asNumber());
  }
}

TEST(protocol_shard_lists_reject_bad_input) {
  const std::string dir = testing::scratchDir() + "/list-bad";
  ::mkdir(dir.c_str(), 0755);
  const std::string good = dir + "/ok_train.bin", big = dir + "/big_train.bin", missing = dir + "/missing.bin";
  writeTokenShard(good, testing::syntheticTokens(500, 3));
  writeTokenShard(big, std::vector<uint32_t>(100, 300));  // tokens >= vocab_size 258
  const std::string model = testing::tinyModel().toJson().dump();
  auto window = [&](const std::string& id, const std::string& shards) {
    return "{\"v\":1,\"id\":\"" + id + "\",\"cmd\":\"train_window\",\"window\":0,\"peer_id\":\"me\",\"steps\":1," +
           "\"payload_path\":\"" + dir + "/p.tndc\",\"shards\":" + shards + "}\n";
  };
  const auto events = runServer(
      "{\"v\":1,\"id\":\"l\",\"cmd\":\"load\",\"model\":" + model + ",\"train\":{\"seq_len\":16,\"batch_size\":2}}\n" +
      window("empty", "[]") + window("relative", "[\"x_train.bin\"]") + window("twice", jsonList({good, good})) +
      window("missing", jsonList({good, missing})) + window("vocab", jsonList({big})) + window("number", "[3]") +
      window("object", "{}") +
      "{\"v\":1,\"id\":\"both\",\"cmd\":\"evaluate\",\"peer_id\":\"v\",\"window\":0,\"split\":\"train\",\"shards\":" +
      jsonList({good}) + "}\n" +
      "{\"v\":1,\"id\":\"badload\",\"cmd\":\"load\",\"model\":" + model + ",\"train\":{\"seq_len\":16},\"val_shards\":" + jsonList({missing}) + "}\n" +
      window("fine", jsonList({good})));
  std::map<std::string, Json> errors;
  for (const Json& e : withEvent(events, "error")) errors[e.at("id").asString()] = e;
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"empty", "invalid_argument"}, {"relative", "invalid_argument"}, {"twice", "invalid_argument"},
      {"missing", "data_error"},     {"vocab", "data_error"},          {"number", "invalid_argument"},
      {"object", "invalid_argument"}, {"both", "invalid_argument"},    {"badload", "data_error"}};
  CHECK(errors.size() == expected.size());
  for (const auto& [id, code] : expected) {
    const auto it = errors.find(id);
    CHECK_MSG(it != errors.end() && it->second.at("code").asString() == code, id << " should fail with " << code);
  }
  if (errors.count("missing")) CHECK(errors["missing"].at("message").asString().find(missing) != std::string::npos);
  if (errors.count("vocab")) CHECK(errors["vocab"].at("message").asString().find(big) != std::string::npos);
  if (errors.count("twice")) CHECK(errors["twice"].at("message").asString().find("twice") != std::string::npos);
  if (errors.count("badload")) CHECK(errors["badload"].at("message").asString().find(missing) != std::string::npos);
  // After every refusal the first run is still loaded and trains on a good list.
  const auto done = withEvent(events, "done");
  CHECK(done.size() == 2 && done.back().at("id").asString() == "fine");
}

// model_proofs: keyed digests of the weights, one per key, in order; bad keys are refused with the command.
TEST(protocol_model_proofs) {
  const std::string model = testing::tinyModel().toJson().dump();
  const std::string load = "{\"v\":1,\"id\":\"l\",\"cmd\":\"load\",\"model\":" + model + ",\"train\":{\"seq_len\":16,\"batch_size\":4,\"lr\":0.01}}\n";
  const std::string proofs = "{\"v\":1,\"id\":\"p\",\"cmd\":\"model_proofs\",\"keys\":[\"7:12\",\"8:12\",\"7:12\"]}\n";
  const auto events = runServer(load + proofs + "{\"v\":1,\"id\":\"none\",\"cmd\":\"model_proofs\"}\n" +
                                "{\"v\":1,\"id\":\"empty\",\"cmd\":\"model_proofs\",\"keys\":[\"\"]}\n");
  const auto done = withEvent(events, "done");
  CHECK(done.size() == 2);
  if (done.size() == 2) {
    const auto& list = done[1].at("result").at("proofs").asArray("proofs");
    CHECK(list.size() == 3);
    if (list.size() == 3) {
      CHECK(list[0].asString().size() == 16);
      CHECK(list[0].asString() != list[1].asString());
      CHECK(list[0].asString() == list[2].asString());
      CHECK(list[0].asString() != done[0].at("result").at("model_digest").asString());
    }
  }
  CHECK(withEvent(events, "error").size() == 2);
  // The same weights in another process (the same seeded initialisation) prove alike.
  const auto again = withEvent(runServer(load + proofs), "done");
  CHECK(again.size() == 2 && done.size() == 2 &&
        again[1].at("result").at("proofs").asArray("proofs")[0].asString() == done[1].at("result").at("proofs").asArray("proofs")[0].asString());
}

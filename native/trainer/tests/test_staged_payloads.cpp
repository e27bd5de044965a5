// stage_payload / unstage and apply_outer's `staged` form: each payload is
// decoded and checked once, when staged, and the outer step from staged
// payloads gives the same model, bit for bit, as the step from their files.
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fixtures.h"
#include "server_fixture.h"
#include "test_harness.h"

using namespace trainer;

using testing::runServer;
using testing::withEvent;

namespace {

const Json* eventWithId(const std::vector<Json>& events, const std::string& name, const std::string& id) {
  for (const Json& e : events) {
    if (e.at("event").asString() == name && e.at("id").isString() && e.at("id").asString() == id) return &e;
  }
  return nullptr;
}

std::string command(const std::string& id, const std::string& body) {
  return "{\"v\":1,\"id\":\"" + id + "\"," + body + "}\n";
}

// A data folder with one synthetic token shard, and the load command of the tiny model on it.
struct TinyRun {
  std::string dir;
  std::string load;
};

TinyRun tinyRun(const std::string& scratch, const std::string& name) {
  const std::string dir = scratch + "/" + name;
  ::mkdir(dir.c_str(), 0755);
  writeTokenShard(dir + "/x_train_000000.bin", testing::syntheticTokens(3000, 5));
  const std::string model = testing::tinyModel().toJson().dump();
  return {dir, command("l", "\"cmd\":\"load\",\"model\":" + model + ",\"data_dir\":\"" + dir +
                                "\",\"train\":{\"seq_len\":16,\"batch_size\":4,\"lr\":0.003}")};
}

}  // namespace

TEST(staged_payloads_apply_like_their_files_and_are_checked_once) {
  const std::string scratch = testing::scratchDir();
  const auto [dir, load] = tinyRun(scratch, "staged-data");
  const std::string pa = scratch + "/staged-a.tndc";
  const std::string pb = scratch + "/staged-b.tndc";
  const std::string corrupt = scratch + "/staged-corrupt.tndc";
  const std::string start = scratch + "/staged-start.safetensors";
  // Two peers' payloads for window 3, from the same start.
  const auto made = runServer(
      load + command("c", "\"cmd\":\"checkpoint\",\"path\":\"" + start + "\"") +
      command("a", "\"cmd\":\"train_window\",\"window\":3,\"peer_id\":\"a\",\"steps\":2,\"payload_path\":\"" + pa + "\"") +
      command("r", "\"cmd\":\"revert_window\"") +
      command("b", "\"cmd\":\"train_window\",\"window\":3,\"peer_id\":\"b\",\"steps\":2,\"payload_path\":\"" + pb + "\""));
  CHECK(withEvent(made, "error").empty());
  {
    std::ifstream in(pa, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(bytes.size() > 40);
    if (bytes.size() > 40) bytes[30] = static_cast<char>(bytes[30] ^ 0xFF);
    std::ofstream(corrupt, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  const std::string fromStart = command("l", "\"cmd\":\"load\",\"checkpoint\":\"" + start + "\",\"data_dir\":\"" + dir + "\"");

  // The outer step from the files, in uid order.
  const auto byFiles = runServer(fromStart + command("o", "\"cmd\":\"apply_outer\",\"window\":3,\"payloads\":[\"" + pa +
                                                              "\",\"" + pb + "\"]"));
  const Json* filesDone = eventWithId(byFiles, "done", "o");
  CHECK(filesDone != nullptr);

  // The same step from staged payloads. stage_payload needs no loaded run.
  const auto byStage = runServer(
      command("sa", "\"cmd\":\"stage_payload\",\"key\":\"3/1\",\"path\":\"" + pa + "\"") +
      command("sb", "\"cmd\":\"stage_payload\",\"key\":\"3/2\",\"path\":\"" + pb + "\",\"expected_k\":0") +
      command("sc", "\"cmd\":\"stage_payload\",\"key\":\"3/9\",\"path\":\"" + corrupt + "\"") +
      command("sk", "\"cmd\":\"stage_payload\",\"key\":\"3/8\",\"path\":\"" + pa + "\",\"expected_k\":3") +
      command("sm", "\"cmd\":\"stage_payload\",\"key\":\"3/7\",\"path\":\"" + scratch + "/staged-missing.tndc\"") +
      command("sx", "\"cmd\":\"stage_payload\",\"key\":\"x\",\"path\":\"" + pb + "\"") + fromStart +
      command("both", "\"cmd\":\"apply_outer\",\"staged\":[\"3/1\"],\"payloads\":[\"" + pa + "\"]") +
      command("diloco", "\"cmd\":\"apply_outer\",\"staged\":[\"3/1\"],\"mode\":\"diloco\"") +
      command("twice", "\"cmd\":\"apply_outer\",\"staged\":[\"3/1\",\"3/1\"]") +
      command("bad", "\"cmd\":\"apply_outer\",\"staged\":[\"3/1\",\"3/9\"]") +
      command("o", "\"cmd\":\"apply_outer\",\"window\":3,\"staged\":[\"3/1\",\"3/2\"]") +
      command("again", "\"cmd\":\"apply_outer\",\"window\":3,\"staged\":[\"3/1\"]") +
      command("u1", "\"cmd\":\"unstage\",\"keys\":[\"x\",\"nothing\"]") + command("u2", "\"cmd\":\"unstage\""));
  for (const char* id : {"sa", "sb"}) {
    const Json* d = eventWithId(byStage, "done", id);
    CHECK(d != nullptr && d->at("result").at("ok").asBool() && d->at("result").at("payload_bytes").asInt() > 0);
  }
  // Rejected with the codec's reason: nothing is staged under the key.
  const Json* bad = eventWithId(byStage, "done", "sc");
  CHECK(bad != nullptr && !bad->at("result").at("ok").asBool());
  if (bad) {
    CHECK(bad->at("result").at("code").asString() == "CHECKSUM_MISMATCH");
    CHECK(bad->at("result").at("field").asString() == "checksum");
    CHECK(bad->at("result").at("reason").asString().find("checksum") != std::string::npos);
  }
  const Json* wrongK = eventWithId(byStage, "done", "sk");
  CHECK(wrongK != nullptr && !wrongK->at("result").at("ok").asBool());
  const Json* missing = eventWithId(byStage, "error", "sm");
  CHECK(missing != nullptr && missing->at("code").asString() == "io_error");
  for (const char* id : {"both", "diloco", "twice"}) {
    const Json* e = eventWithId(byStage, "error", id);
    CHECK(e != nullptr && e->at("code").asString() == "invalid_argument");
  }
  const Json* notStaged = eventWithId(byStage, "error", "bad");
  CHECK(notStaged != nullptr && notStaged->at("code").asString() == "not_staged");

  // Bit-identical to the step from the files; the applied keys are released.
  const Json* stagedDone = eventWithId(byStage, "done", "o");
  CHECK(stagedDone != nullptr);
  if (filesDone && stagedDone) {
    CHECK(stagedDone->at("result").at("model_digest").asString() == filesDone->at("result").at("model_digest").asString());
    CHECK(stagedDone->at("result").at("used").asArray().size() == 2);
    CHECK(stagedDone->at("result").at("applied_window").asInt() == 3);
  }
  const Json* again = eventWithId(byStage, "error", "again");
  CHECK(again != nullptr && again->at("code").asString() == "not_staged");
  const Json* u1 = eventWithId(byStage, "done", "u1");
  CHECK(u1 != nullptr && u1->at("result").at("released").asInt() == 1);
  const Json* u2 = eventWithId(byStage, "done", "u2");
  CHECK(u2 != nullptr && u2->at("result").at("released").asInt() == 0);
}

// A step that fails keeps its staged payloads for the next try.
TEST(staged_payloads_survive_a_failed_outer_step) {
  const std::string scratch = testing::scratchDir();
  const auto [dir, load] = tinyRun(scratch, "staged-keep-data");
  const std::string pa = scratch + "/staged-keep.tndc";
  const auto made = runServer(
      load + command("a", "\"cmd\":\"train_window\",\"window\":3,\"peer_id\":\"a\",\"steps\":1,\"payload_path\":\"" + pa + "\""));
  CHECK(withEvent(made, "error").empty());
  // Another model: the aggregate's tensors do not fit it, the step fails, the payload stays staged.
  ModelConfig other = testing::tinyModel();
  other.numLayers += 1;
  const auto events = runServer(
      command("s", "\"cmd\":\"stage_payload\",\"key\":\"k\",\"path\":\"" + pa + "\"") +
      command("l", "\"cmd\":\"load\",\"model\":" + other.toJson().dump() + ",\"data_dir\":\"" + dir +
                       "\",\"train\":{\"seq_len\":16,\"batch_size\":4}") +
      command("o", "\"cmd\":\"apply_outer\",\"staged\":[\"k\"]") + load + command("o2", "\"cmd\":\"apply_outer\",\"staged\":[\"k\"]"));
  const Json* failed = eventWithId(events, "error", "o");
  CHECK(failed != nullptr && failed->at("code").asString() == "codec_error");
  CHECK(eventWithId(events, "done", "o2") != nullptr);
}

// prepare_outer names the staged payloads of the step to come: the step is
// made beside the next window's inner steps and applied as a swap, the same
// model as without it; unknown keys and bad fields are refused.
TEST(prepare_outer_makes_the_next_step_beside_the_window) {
  const std::string scratch = testing::scratchDir();
  const auto [dir, load] = tinyRun(scratch, "prepare-data");
  const std::string pa = scratch + "/prepare-a.tndc";
  const std::string pb = scratch + "/prepare-b.tndc";
  const auto made = runServer(
      load + command("a", "\"cmd\":\"train_window\",\"window\":3,\"peer_id\":\"a\",\"steps\":2,\"payload_path\":\"" + pa + "\"") +
      command("r", "\"cmd\":\"revert_window\"") +
      command("b", "\"cmd\":\"train_window\",\"window\":3,\"peer_id\":\"b\",\"steps\":2,\"payload_path\":\"" + pb + "\""));
  CHECK(withEvent(made, "error").empty());
  const std::string stage = command("sa", "\"cmd\":\"stage_payload\",\"key\":\"3/1\",\"path\":\"" + pa + "\"") +
                            command("sb", "\"cmd\":\"stage_payload\",\"key\":\"3/2\",\"path\":\"" + pb + "\"");
  const std::string train = command("t", "\"cmd\":\"train_window\",\"window\":4,\"peer_id\":\"me\",\"steps\":2,\"payload_path\":\"" +
                                             scratch + "/prepare-me.tndc\"");
  const std::string apply = command("o", "\"cmd\":\"apply_outer\",\"window\":3,\"staged\":[\"3/1\",\"3/2\"],\"outer_lr\":0.5");
  const std::string prepare = command("p", "\"cmd\":\"prepare_outer\",\"window\":3,\"base_window\":4,\"staged\":[\"3/1\",\"3/2\"],\"outer_lr\":0.5");

  const auto plain = runServer(stage + load + train + apply);
  const auto prepared = runServer(stage + load + prepare + train + apply +
                                  command("u", "\"cmd\":\"prepare_outer\",\"window\":3,\"base_window\":4,\"staged\":[\"3/9\"],\"outer_lr\":0.5") +
                                  command("f", "\"cmd\":\"prepare_outer\",\"window\":3,\"staged\":[\"3/1\"],\"outer_lr\":0.5"));
  const Json* queued = eventWithId(prepared, "done", "p");
  CHECK(queued != nullptr && queued->at("result").at("queued").asBool());
  const Json* plainDone = eventWithId(plain, "done", "o");
  const Json* preparedDone = eventWithId(prepared, "done", "o");
  CHECK(plainDone != nullptr && preparedDone != nullptr);
  if (plainDone && preparedDone) {
    CHECK(!plainDone->at("result").at("prepared").asBool());
    CHECK(preparedDone->at("result").at("prepared").asBool());
    CHECK(preparedDone->at("result").at("model_digest").asString() == plainDone->at("result").at("model_digest").asString());
  }
  const Json* unknown = eventWithId(prepared, "error", "u");
  CHECK(unknown != nullptr && unknown->at("code").asString() == "not_staged");
  const Json* noBase = eventWithId(prepared, "error", "f");
  CHECK(noBase != nullptr && noBase->at("code").asString() == "invalid_argument");
}

#include <string>

#include "test_harness.h"
#include "util/errors.h"
#include "util/json.h"

using trainer::Json;

TEST(json_round_trip) {
  const std::string text = R"({"a":[1,2.5,-3e-7,true,null],"b":{"c":"x\"y\\z\n\u00e9\ud83d\ude00"},"d":9007199254740991})";
  const Json j = Json::parse(text);
  CHECK(j.at("a").asArray().size() == 5);
  CHECK(j.at("a").asArray()[1].asNumber() == 2.5);
  CHECK(j.at("b").at("c").asString() == "x\"y\\z\n\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(j.at("d").asInt() == 9007199254740991LL);
  const Json again = Json::parse(j.dump());
  CHECK(again.dump() == j.dump());
  CHECK(Json::parse("0.1").dump() == "0.10000000000000001");  // exact double round trip
}

TEST(json_rejects_malformed) {
  for (const char* bad : {"", "{", "{\"a\":}", "[1,]", "{\"a\":1,\"a\":2}", "01", "1.", "\"\\x\"", "nul", "[1] 2",
                          "\"\x01\"", "{'a':1}", "NaN", "1e999", "\"\\ud800\""}) {
    bool threw = false;
    try {
      Json::parse(bad);
    } catch (const trainer::TrainerError& e) {
      threw = e.code() == "malformed_json";
    }
    CHECK_MSG(threw, "accepted: " << bad);
  }
  std::string deep(100, '[');
  deep += std::string(100, ']');
  CHECK_THROWS(Json::parse(deep));
}

TEST(json_typed_access_names_field) {
  const Json j = Json::parse(R"({"n":1.5,"s":"x"})");
  try {
    j.at("n").asInt("steps");
    CHECK(false);
  } catch (const trainer::TrainerError& e) {
    CHECK(e.code() == "invalid_argument");
    CHECK(std::string(e.what()).find("steps") != std::string::npos);
  }
  CHECK_THROWS(j.at("missing"));
  CHECK(j.intOr("absent", 7) == 7);
  CHECK_THROWS(j.intOr("s", 7));
}

// The router on its own, with a front end and a supervisor the test plays:
// what it answers at once, what it sends on and what it drops.
#include "worker/listener/router.h"

#include <gtest/gtest.h>

#include <array>

#include "tests/unit/shm/test_segment.h"
#include "tests/unit/worker/listener/listener_parts.h"

namespace backend::worker {
namespace {

using plugins::Code;
using plugins::CommandSpec;
using plugins::Done;
using plugins::PluginInfo;
using plugins::Reply;
using plugins::Side;
using testing::ChannelPair;
using testing::RecordingFront;
using testing::unframed;

// A listener plugin: NOW answers at once, LATER on the next loop turn;
// it decides on SLOW requests later (as auth does for a new password),
// refuses FORBIDDEN ones, and lets everything else through.
struct Gate : plugins::Plugin {
  std::optional<std::string> configure(const rapidjson::Value&) override { return std::nullopt; }
  void inited(plugins::Host&) override {}
  plugins::Verdict received(std::string_view, const rapidjson::Value& params) override {
    if (params.HasMember("forbidden")) return {Reply{Code::kDenied, {}, "no"}, {}};
    if (!params.HasMember("slow")) return {};
    return {std::nullopt, [this](plugins::Decided decided) { pending.push_back(std::move(decided)); }};
  }
  void now(const rapidjson::Value&, Done done) { done({Code::kOk, "1", {}}); }
  void later(const rapidjson::Value&, Done done) { answers.push_back(std::move(done)); }
  static inline std::vector<plugins::Decided> pending;
  static inline std::vector<Done> answers;
};

constexpr std::array<CommandSpec, 2> kGate{{{"GATE.NOW", false, false, plugins::handler<&Gate::now>},
                                            {"GATE.LATER", false, true, plugins::handler<&Gate::later>}}};
constexpr std::array<CommandSpec, 1> kElsewhere{{{"ELSEWHERE.DO", true, true, nullptr}}};
const std::array<PluginInfo, 2> kPlugins{{
    {"gate", Side::kListener, kGate, [] { return std::unique_ptr<plugins::Plugin>(new Gate); }},
    {"elsewhere", Side::kSupervisor, kElsewhere, [] { return std::unique_ptr<plugins::Plugin>(new Gate); }},
}};

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : seg_("router", {Queries::kProcReadsOnLoop + 8, 8192, 8192}), queries_(seg_.seg), plugins_(kPlugins, Side::kListener) {
    Gate::pending.clear();
    Gate::answers.clear();
    EXPECT_FALSE(plugins_.load(config_));
    client_ = std::make_unique<SupervisorClient>(&pair_.loop, pair_.fds[0]);
    counters_ = std::make_unique<ApiCounters>(seg_.seg.header(), plugins_.commands());
    router_ = std::make_unique<Router>(config_, queries_, plugins_, *client_, *counters_);
  }
  ~RouterTest() override { client_->close(); }

  // The framed answer when there is one at once.
  std::optional<std::string> route(std::string_view payload, uint64_t ticket = 1) {
    std::string out;
    if (!router_->route(payload, out, front_, ticket)) return std::nullopt;
    return unframed(out);
  }

  shm::testing::ScopedSegment seg_;
  conf::Config config_;
  Queries queries_;
  PluginHost plugins_;
  ChannelPair pair_;
  std::unique_ptr<SupervisorClient> client_;
  std::unique_ptr<ApiCounters> counters_;
  std::unique_ptr<Router> router_;
  RecordingFront front_;

  uint64_t requests(std::string_view command, Code code) {
    const Command* c = plugins_.commands().find(command);
    size_t slot = c ? ApiCounters::slot_of(plugins_.commands().index_of(*c)) : shm::kApiCommands - 1;
    return seg_.seg.header().api_requests[slot][size_t(code)].load();
  }
};

TEST_F(RouterTest, QueriesAndRefusalsAreAnsweredAtOnce) {
  EXPECT_EQ(route("STATUSALL"), R"({"code":"OK","data":{}})");
  EXPECT_EQ(route("NOSUCH"), R"({"code":"UNKNOWN","error":"unknown command \"NOSUCH\""})");
  EXPECT_EQ(route("STATUS {"), R"({"code":"FAILED","error":"params decode failed"})");
  EXPECT_EQ(route(R"(STATUS {"jobname":"x"})"), R"({"code":"FAILED","error":"job \"x\" does not exist"})");
  EXPECT_EQ(route(R"(STATUS {"forbidden":1})"), R"({"code":"DENIED","error":"no"})");
  // The job name is checked here: the supervisor never sees a START without one.
  EXPECT_EQ(route("START {}"), R"({"code":"FAILED","error":"jobname is required"})");
  pair_.run_until([] { return false; });
  EXPECT_TRUE(pair_.received.empty());
  // Each counted by command and code: a name nobody knows, and a request
  // that does not parse, in the last counter.
  EXPECT_EQ(requests("STATUSALL", Code::kOk), 1u);
  EXPECT_EQ(requests("STATUS", Code::kFailed), 1u);  // "STATUS {" did not parse: no command known
  EXPECT_EQ(requests("STATUS", Code::kDenied), 1u);
  EXPECT_EQ(requests("START", Code::kFailed), 1u);
  EXPECT_EQ(requests("NOSUCH", Code::kUnknown), 1u);
  EXPECT_EQ(requests("NOSUCH", Code::kFailed), 1u);
  EXPECT_EQ(seg_.seg.header().auth_failures.load(), 1u);
}

TEST_F(RouterTest, ChangesGoToTheSupervisorWithoutCredentialsAndComeBackByTicket) {
  EXPECT_FALSE(route(R"(START {"jobname":"web","auth":{"username":"u","password":"p"}})", 7));
  EXPECT_FALSE(route(R"(ELSEWHERE.DO {"jobname":"web"})", 8));
  ASSERT_TRUE(pair_.run_until([&] { return pair_.received.size() == 2; }));
  EXPECT_EQ(pair_.received[0].kind, ChannelKind::kRequest);
  EXPECT_EQ(pair_.received[0].payload, R"(START {"jobname":"web"})");
  EXPECT_EQ(pair_.received[1].payload, R"(ELSEWHERE.DO {"jobname":"web"})");
  // Answered in the other order: each reply finds its own ticket.
  pair_.supervisor->send(ChannelKind::kReply, pair_.received[1].id, R"({"code":"OK","data":2})");
  pair_.supervisor->send(ChannelKind::kReply, pair_.received[0].id, R"({"code":"FAILED","error":"e"})");
  ASSERT_TRUE(pair_.run_until([&] { return front_.answers.size() == 2; }));
  EXPECT_EQ(front_.answers[7], R"({"code":"FAILED","error":"e"})");
  EXPECT_EQ(front_.answers[8], R"({"code":"OK","data":2})");
  EXPECT_EQ(requests("START", Code::kFailed), 1u) << "a later answer is counted as it is handed on";
  EXPECT_EQ(requests("ELSEWHERE.DO", Code::kOk), 1u);
}

// MEMALL of more running jobs than the loop reads itself comes back from
// the thread pool, to the ticket that asked, counted as it is handed on.
TEST_F(RouterTest, AQueryOfManyProcessesIsAnsweredLaterByTicket) {
  queries_.set_pool(&pair_.loop);
  for (size_t i = 0; i <= Queries::kProcReadsOnLoop; ++i) {
    auto slot = seg_.seg.table().put("job" + std::to_string(i), "{}", 20);
    ASSERT_TRUE(slot);
    seg_.seg.table().mark_started(*slot, getpid(), 1, 1, 0, shm::StartReason::kManual);
  }
  EXPECT_FALSE(route("MEMALL", 9));
  EXPECT_EQ(requests("MEMALL", Code::kOk), 0u);
  ASSERT_TRUE(pair_.run_until([&] { return front_.answers.count(9) == 1; }));
  rapidjson::Document reply;
  reply.Parse(front_.answers[9].c_str());
  ASSERT_TRUE(reply.IsObject() && reply["data"].IsObject()) << front_.answers[9];
  EXPECT_STREQ(reply["code"].GetString(), "OK");
  EXPECT_EQ(reply["data"].MemberCount(), Queries::kProcReadsOnLoop + 1);
  EXPECT_EQ(requests("MEMALL", Code::kOk), 1u);
  EXPECT_TRUE(pair_.received.empty()) << "answered here, not by the supervisor";
}

TEST_F(RouterTest, AListenerPluginAnswersAtOnceOrLater) {
  EXPECT_EQ(route("GATE.NOW"), R"({"code":"OK","data":1})");
  EXPECT_FALSE(route("GATE.LATER", 3));
  ASSERT_EQ(Gate::answers.size(), 1u);
  EXPECT_TRUE(front_.answers.empty());
  Gate::answers[0]({Code::kOk, "\"done\"", {}});
  EXPECT_EQ(front_.answers[3], R"({"code":"OK","data":"done"})");
}

TEST_F(RouterTest, ARequestDecidedLaterGoesOnOnlyIfItsClientStillWaits) {
  EXPECT_FALSE(route(R"(START {"jobname":"a","slow":1})", 1));
  EXPECT_FALSE(route(R"(START {"jobname":"b","slow":1})", 2));
  EXPECT_FALSE(route(R"(START {"jobname":"c","slow":1})", 3));
  ASSERT_EQ(Gate::pending.size(), 3u);
  front_.gone.insert(2);  // its client left
  Gate::pending[0](std::nullopt);
  Gate::pending[1](std::nullopt);
  Gate::pending[2](Reply{Code::kDenied, {}, "wrong password"});
  EXPECT_EQ(front_.answers[3], R"({"code":"DENIED","error":"wrong password"})");
  ASSERT_TRUE(pair_.run_until([&] { return !pair_.received.empty(); }));
  pair_.run_until([] { return false; });
  ASSERT_EQ(pair_.received.size(), 1u) << "b's client left, and c was refused: only a goes on";
  EXPECT_EQ(pair_.received[0].payload, R"(START {"jobname":"a","slow":1})");
}

TEST_F(RouterTest, ARequestTooLargeForTheChannelIsRefusedHere) {
  std::string big(SupervisorClient::kMaxBody, 'x');
  auto answer = route(R"(ADD {"jobname":"a","command":")" + big + "\"}");
  ASSERT_TRUE(answer);
  EXPECT_NE(answer->find("ADD request is too large"), std::string::npos) << *answer;
}

}  // namespace
}  // namespace backend::worker

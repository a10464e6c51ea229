// Which side answers a request, and its answer: the one router of every
// front end of the listener (the socket protocol's connections, and HTTP
// next). It parses the request, lets the listener's plugins judge it (auth
// refuses, or decides later), logs changes as the original did, answers
// queries from shared memory and the listener plugins' commands here, and
// sends the rest to the supervisor. Replies are framed (PROTOCOL.md); a
// front end that wants the JSON alone takes it past the 4-byte length.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "conf/config.h"
#include "protocol/request.h"
#include "worker/common/command_table.h"
#include "worker/common/plugin_host.h"
#include "worker/listener/api_counters.h"
#include "worker/listener/queries.h"
#include "worker/listener/supervisor_client.h"

namespace backend::worker {

class Router {
 public:
  // Where an answer that comes later goes: the front end finds its client
  // by the ticket it gave, or drops the answer if the client left.
  class Front {
   public:
    virtual ~Front() = default;
    // False once the client that holds the ticket left: a request a plugin
    // decided on later is then dropped, not carried out.
    virtual bool waiting(uint64_t ticket) const = 0;
    virtual void answered(uint64_t ticket, std::string framed_reply) = 0;
  };

  Router(const conf::Config& config, Queries& queries, PluginHost& plugins, SupervisorClient& supervisor,
         ApiCounters& counters);

  // One request (a frame's payload). True when it was answered at once,
  // with the reply appended to `out`; false when front.answered(ticket, ...)
  // will be called once, later.
  bool route(std::string_view payload, std::string& out, Front& front, uint64_t ticket);

  // Whether a request for `command` without credentials would be let in:
  // judged by the listener's plugins as a request is, but neither run,
  // logged nor counted as an auth failure (the dashboard asks it on every
  // page load, to know whether a login is needed).
  bool admits_anyone(std::string_view command);

 private:
  bool answer(std::string_view payload, std::string& out, Front& front, uint64_t ticket, const Command*& found);
  struct Call;
  bool admit_later(const Call& call, const protocol::Request& req, std::function<void(plugins::Decided)> later);
  bool dispatch(const Call& call, protocol::Request& req, std::string& out);
  bool run_plugin(const Call& call, const protocol::Request& req, std::string& out);
  bool forward(const Call& call, const std::string& command, std::string body, std::string& out);
  void refuse(const std::string& command, const plugins::Reply& r, std::string& out);

  const conf::Config& config_;
  Queries& queries_;
  PluginHost& plugins_;
  SupervisorClient& supervisor_;
  ApiCounters& counters_;
};

}  // namespace backend::worker

#include "plugins/cluster/keys.h"

namespace backend::plugins::cluster {

std::optional<Keys::Parsed> Keys::parse(std::string_view key) const {
  if (!key.starts_with(root_)) return std::nullopt;
  key.remove_prefix(root_.size());
  auto slash = key.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view kind = key.substr(0, slash), rest = key.substr(slash + 1);
  if (rest.empty()) return std::nullopt;
  auto one = [&](Parsed::Kind k) -> std::optional<Parsed> {
    if (rest.find('/') != std::string_view::npos) return std::nullopt;
    return Parsed{k, std::string(rest), {}};
  };
  auto two = [&](Parsed::Kind k) -> std::optional<Parsed> {
    auto at = rest.find('/');
    if (at == std::string_view::npos || at == 0 || at + 1 == rest.size()) return std::nullopt;
    if (rest.find('/', at + 1) != std::string_view::npos) return std::nullopt;
    return Parsed{k, std::string(rest.substr(0, at)), std::string(rest.substr(at + 1))};
  };
  if (kind == "hosts") return one(Parsed::Kind::kHost);
  if (kind == "jobs") return one(Parsed::Kind::kJob);
  if (kind == "owner") return one(Parsed::Kind::kOwner);
  if (kind == "status") return two(Parsed::Kind::kStatus);
  if (kind == "runs") return two(Parsed::Kind::kRun);
  if (kind == "drain") return one(Parsed::Kind::kDrain);
  if (kind == "move") return one(Parsed::Kind::kMove);
  return std::nullopt;
}

}  // namespace backend::plugins::cluster

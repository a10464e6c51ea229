#include "shm/segment.h"

#include <cstring>
#include <new>

#include <boost/interprocess/shared_memory_object.hpp>

#include "shm/job_table.h"
#include "shm/lock.h"
#include "shm/ring.h"

namespace bip = boost::interprocess;

namespace backend::shm {
namespace {

constexpr uint64_t kPage = 4096;
uint64_t page_up(uint64_t n) { return (n + kPage - 1) / kPage * kPage; }

uint32_t pow2_at_least(uint32_t n) {
  uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

// The first fields of every layout version, so that any build can tell
// another build's segment apart and name its master.
struct Prefix {
  char magic[8];
  uint32_t layout_version;
  uint32_t boost_version;
  uint64_t header_size;
  uint64_t slot_size;
  uint64_t segment_size;
  int32_t master_pid;
};
static_assert(offsetof(Header, master_pid) == offsetof(Prefix, master_pid));
static_assert(offsetof(Header, segment_size) == offsetof(Prefix, segment_size));

std::optional<bip::mapped_region> map_existing(const std::string& name, bool read_only) {
  auto mode = read_only ? bip::read_only : bip::read_write;
  try {
    bip::shared_memory_object shm(bip::open_only, name.c_str(), mode);
    return bip::mapped_region(shm, mode);
  } catch (const bip::interprocess_exception&) {
    return std::nullopt;
  }
}

std::string check_header(const std::string& name, const bip::mapped_region& region) {
  if (region.get_size() < sizeof(Prefix)) return "shared memory \"" + name + "\" is too small to be a server's";
  const auto* p = static_cast<const Prefix*>(region.get_address());
  if (std::memcmp(p->magic, kMagic, sizeof kMagic) != 0)
    return "shared memory \"" + name + "\" was not made by backend-server";
  if (p->layout_version != kLayoutVersion)
    return "shared memory \"" + name + "\" has layout version " + std::to_string(p->layout_version) +
           ", this build reads version " + std::to_string(kLayoutVersion);
  if (p->boost_version != BOOST_VERSION || p->header_size != sizeof(Header) ||
      p->slot_size != sizeof(JobSlot) || p->segment_size != region.get_size())
    return "shared memory \"" + name + "\" was made by another build of backend-server (sizes differ)";
  return {};
}

void format_segment(char* base, const SegmentParams& params, const Geometry& g) {
  auto* h = new (base) Header{};
  std::memcpy(h->magic, kMagic, sizeof kMagic);
  h->layout_version = kLayoutVersion;
  h->boost_version = BOOST_VERSION;
  h->header_size = sizeof(Header);
  h->slot_size = sizeof(JobSlot);
  h->segment_size = g.total;
  h->capacity = params.capacity;
  h->ring_bytes = params.ring_bytes;
  h->server_ring_bytes = params.server_ring_bytes;
  h->index_entries = g.index_entries;
  h->slots_offset = g.slots_offset;
  h->settings_offset = g.settings_offset;
  h->settings_overflow_offset = g.settings_overflow_offset;
  h->index_offset = g.index_offset;
  h->ring_headers_offset = g.ring_headers_offset;
  h->rings_offset = g.rings_offset;
  h->server_ring_offset = g.server_ring_offset;
  h->history_offset = g.history_offset;
  h->schedules_offset = g.schedules_offset;
  Ring::init(reinterpret_cast<RingHeader*>(base + g.server_ring_offset), params.server_ring_bytes);
  // Job slots, settings, index and rings stay untouched zero pages until a
  // job uses them: an idle slot costs no memory.
}

}  // namespace

Geometry geometry_for(const SegmentParams& p) {
  Geometry g{};
  g.index_entries = pow2_at_least(p.capacity * 2);
  g.slots_offset = page_up(sizeof(Header));
  g.settings_offset = page_up(g.slots_offset + uint64_t(p.capacity) * sizeof(JobSlot));
  g.settings_overflow_offset = page_up(g.settings_offset + uint64_t(p.capacity) * sizeof(SettingsArea));
  g.index_offset = page_up(g.settings_overflow_offset + uint64_t(p.capacity) * sizeof(SettingsOverflow));
  g.ring_headers_offset = page_up(g.index_offset + uint64_t(g.index_entries) * sizeof(int32_t));
  g.rings_offset = page_up(g.ring_headers_offset + uint64_t(p.capacity) * sizeof(RingHeader));
  g.server_ring_offset = page_up(g.rings_offset + uint64_t(p.capacity) * p.ring_bytes);
  g.history_offset = page_up(g.server_ring_offset + sizeof(RingHeader) + p.server_ring_bytes);
  g.schedules_offset = page_up(g.history_offset + uint64_t(p.capacity) * sizeof(HistoryArea));
  g.total = page_up(g.schedules_offset + kMaxSchedules * sizeof(ScheduleRecord));
  return g;
}

std::optional<int32_t> Segment::live_owner(const std::string& name) {
  auto region = map_existing(name, true);
  if (!region || region->get_size() < sizeof(Prefix)) return std::nullopt;
  const auto* p = static_cast<const Prefix*>(region->get_address());
  if (std::memcmp(p->magic, kMagic, sizeof kMagic) != 0) return std::nullopt;
  if (!pid_alive(p->master_pid)) return std::nullopt;
  return p->master_pid;
}

Segment Segment::create(const std::string& name, const SegmentParams& params) {
  if (params.capacity == 0 || params.ring_bytes <= Ring::kOverhead ||
      params.server_ring_bytes <= Ring::kOverhead)
    throw SegmentError("shared memory parameters are out of range");
  if (auto owner = live_owner(name); owner && *owner != getpid())
    throw SegmentError("another backend-server (pid " + std::to_string(*owner) +
                       ") is using shared memory \"" + name + "\"");
  remove(name);
  Geometry g = geometry_for(params);
  try {
    bip::shared_memory_object shm(bip::create_only, name.c_str(), bip::read_write);
    shm.truncate(static_cast<bip::offset_t>(g.total));
    bip::mapped_region region(shm, bip::read_write);
    format_segment(static_cast<char*>(region.get_address()), params, g);
    Segment seg(std::move(region));
    seg.header().master_pid = getpid();
    return seg;
  } catch (const bip::interprocess_exception& e) {
    throw SegmentError("cannot create shared memory \"" + name + "\": " + e.what());
  }
}

Segment Segment::attach(const std::string& name, bool read_only) {
  auto region = map_existing(name, read_only);
  if (!region)
    throw SegmentError("no server runs with shared memory \"" + name + "\" (it does not exist)");
  if (std::string why = check_header(name, *region); !why.empty()) throw SegmentError(why);
  return Segment(std::move(*region));
}

bool Segment::remove(const std::string& name) { return bip::shared_memory_object::remove(name.c_str()); }

JobTable Segment::table() const { return JobTable(header(), base()); }

RunHistory Segment::history() const { return RunHistory(header(), base()); }

ScheduleTable Segment::schedules() const { return ScheduleTable(header(), base()); }

Ring Segment::server_ring() const {
  char* at = base() + header().server_ring_offset;
  return Ring(reinterpret_cast<RingHeader*>(at), at + sizeof(RingHeader));
}

Ring Segment::job_ring(uint32_t slot) const {
  const Header& h = header();
  auto* headers = reinterpret_cast<RingHeader*>(base() + h.ring_headers_offset);
  return Ring(&headers[slot], base() + h.rings_offset + uint64_t(slot) * h.ring_bytes);
}

std::string segment_name_for(const std::string& host, uint16_t port) {
  std::string name = "backend-server-";
  for (char c : host) name.push_back(c == '/' || c == ':' ? '-' : c);
  return name + "-" + std::to_string(port);
}

}  // namespace backend::shm

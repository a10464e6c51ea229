// The named segment: geometry, creation by the master, checked attachment.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include <boost/interprocess/mapped_region.hpp>

#include "shm/layout.h"
#include "shm/run_history.h"
#include "shm/schedule_table.h"

namespace backend::shm {

class JobTable;
class Ring;

struct SegmentParams {
  uint32_t capacity = 1024;
  uint32_t ring_bytes = 256 * 1024;
  uint32_t server_ring_bytes = 64 * 1024;
};

// Where each area lies in a segment of these parameters.
struct Geometry {
  uint64_t slots_offset, settings_offset, settings_overflow_offset, index_offset, ring_headers_offset, rings_offset,
      server_ring_offset, history_offset, schedules_offset, total;
  uint32_t index_entries;
};
Geometry geometry_for(const SegmentParams& params);

class SegmentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Segment {
 public:
  // Master only: replaces a leftover segment of that name whose master is
  // gone (or that another build made), then creates it exclusively. Throws
  // SegmentError naming the pid when a live server owns the name.
  static Segment create(const std::string& name, const SegmentParams& params);
  // Maps an existing segment after checking magic, layout version, sizes and
  // Boost's version. Throws SegmentError with a sentence for a person.
  static Segment attach(const std::string& name, bool read_only);
  static bool remove(const std::string& name);
  // The pid of the live master that made this segment, if any.
  static std::optional<int32_t> live_owner(const std::string& name);

  Header& header() const { return *static_cast<Header*>(region_.get_address()); }
  char* base() const { return static_cast<char*>(region_.get_address()); }
  uint64_t size() const { return region_.get_size(); }

  JobTable table() const;
  RunHistory history() const;
  ScheduleTable schedules() const;
  Ring server_ring() const;
  Ring job_ring(uint32_t slot) const;

 private:
  explicit Segment(boost::interprocess::mapped_region region) : region_(std::move(region)) {}
  boost::interprocess::mapped_region region_;
};

// "backend-server-127.0.0.1-13123": one segment per listen address.
std::string segment_name_for(const std::string& host, uint16_t port);

}  // namespace backend::shm

// Templates of job_table.h.
#pragma once

#include "shm/lock.h"
#include "shm/seqlock.h"

namespace backend::shm {

template <class F>
void JobTable::for_each(F&& f, bool with_settings) const {
  uint32_t end = h_.high_water.load(std::memory_order_acquire);
  JobInfo info;
  std::string settings_json;
  for (uint32_t i = 0; i < end && i < h_.capacity; ++i) {
    if (!slots_[i].used) continue;
    if (read(i, info, with_settings ? &settings_json : nullptr)) f(info, settings_json);
  }
}

template <class F>
void JobTable::update(uint32_t i, F&& f) {
  seq_write(slots_[i].seq, [&] { f(slots_[i]); });
  h_.changes.fetch_add(1, std::memory_order_release);
}

template <class F>
void JobTable::update(std::string_view name, F&& f) {
  LockGuard guard(h_.table_lock);
  if (auto i = find(name)) update(*i, f);
}

template <class F>
void JobTable::edit(uint32_t i, F&& f) {
  LockGuard guard(h_.table_lock);
  update(i, f);
}

}  // namespace backend::shm

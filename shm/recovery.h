// What the master does after reaping a worker, so that a death in the middle
// of a write never wedges or misleads the others.
#pragma once

#include <sys/types.h>

#include "shm/segment.h"

namespace backend::shm {

struct RecoveryReport {
  unsigned locks = 0;  // locks the dead process held and that were freed
  unsigned seqs = 0;   // half-written slots marked readable again
};

// Frees every lock `dead` held. With `was_writer`, also ends the seqlock
// writes it left open (the next writer rewrites those slots anyway).
RecoveryReport recover_after_death(const Segment& segment, pid_t dead, bool was_writer);

}  // namespace backend::shm

"""The verdicts of compare.md's rows (report.Row): met, missed, or blocked
where the floor or ceiling measured in the same run misses the target too.
The values are those of the run on f51a359 (results/compare.md)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import Row, US  # noqa: E402


def start_row(ours):
    values = {US: ours, "supervisord": 9.028, "pm2": 4.830, "posix_spawn loop": 0.481}
    return Row("3. start 1,000 jobs", values, False, 15, floor=1.5)


class Verdicts(unittest.TestCase):
    def test_a_peer_target_the_floor_misses_too_is_blocked_when_the_floor_target_is_met(self):
        # 7.0x PM2 against 15x, but the bare loop is only 10.0x PM2; 1.43x the loop.
        self.assertEqual(start_row(0.685).verdict(), "**blocked**")

    def test_a_floor_target_missed_is_missed_whatever_the_peer_target(self):
        self.assertEqual(start_row(0.800).verdict(), "**missed**")  # 1.66x the loop

    def test_a_peer_target_the_ceiling_meets_is_missed(self):
        # Capture: `cat` alone beat supervisord, so 1x supervisord was there to be had.
        values = {US: 711, "supervisord": 777, "pm2": 197, "writer | cat > file": 796}
        self.assertEqual(Row("5. capture", values, True, 1, floor=1 / 0.9).verdict(), "**missed**")

    def test_a_rate_the_echo_floor_itself_cannot_reach_is_blocked(self):
        values = {US: 132388, "supervisord": 8624, "pm2": 5378, "C echo server": 125202}
        self.assertEqual(Row("1. 32 clients", values, True, 20).verdict(), "**blocked**")

    def test_a_limit_the_floor_misses_too_is_blocked(self):
        values = {US: 6496, "supervisord": 4000, "pm2": 4000, "posix_spawn loop": 6496}
        row = Row("9. jobs up", values, True, compare=False, limit=10000)
        self.assertEqual(row.verdict(), "**blocked**")

    def test_a_limit_the_floor_meets_is_missed(self):
        values = {US: 11.0, "posix_spawn loop": 4.0}
        self.assertEqual(Row("9. seconds", values, False, compare=False, limit=10).verdict(), "**missed**")

    def test_without_a_floor_a_missed_target_is_missed(self):
        values = {US: 4.5, "supervisord": 27.7, "pm2": 36.7}
        self.assertEqual(Row("7. PSS", values, False, 10).verdict(), "**missed**")
        self.assertEqual(Row("7. PSS", values, False, 6).verdict(), "**met**")


if __name__ == "__main__":
    unittest.main()

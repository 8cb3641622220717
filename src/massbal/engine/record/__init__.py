"""Closed periods and the Change log (CONTRACT section 8): row snapshots, diffs, the hash chain."""

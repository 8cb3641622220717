"""Investigations (CONTRACT section 7): the cells that would close a flagged figure, and trends."""

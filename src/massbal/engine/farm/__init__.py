"""A farm's mass balances (CONTRACT section 6): crops, fields, herds, feed and pasture."""

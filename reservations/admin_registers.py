"""Staff registers: expected children per activity, site and day; attendance; PDF."""

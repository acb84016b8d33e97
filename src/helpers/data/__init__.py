"""The data layer: official releases and a council's own figures, the
indicator store and its snapshots (checksums and leases), geography and
comparator groups."""

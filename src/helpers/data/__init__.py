"""The data layer: official releases and a council's own figures, the
indicator store, geography and comparator groups."""

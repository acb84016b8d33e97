"""The data layer: where official figures come from and how they are kept
(store snapshots, their checksums and leases)."""

"""Building packs: what a pack depends on (fingerprint) and putting it in
place under reports/ (install)."""

"""One home for time conversions (Unix seconds <-> ISO 8601 UTC)."""

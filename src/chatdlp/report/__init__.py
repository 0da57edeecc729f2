"""Reports: redaction, fingerprints and one module per output format."""

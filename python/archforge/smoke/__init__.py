"""On-device smoke tests: what a device must run, and proof that it does."""

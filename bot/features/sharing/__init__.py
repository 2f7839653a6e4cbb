"""Anonymous sharing: shares, vetting, anonymous replies and support relayed to
the author, reports, and blocks that never unmask anyone (SPEC §2)."""

"""Milestones: relapse-safe recovery counters, check-in streak milestones and
celebrations, each shared only the way the member chose (SPEC §2)."""

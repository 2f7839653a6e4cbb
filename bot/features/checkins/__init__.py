"""Private mood check-ins: commands, prompts, streaks and history."""

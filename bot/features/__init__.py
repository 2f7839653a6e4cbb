"""Features: each one folder (or module) declaring what it brings in `FEATURE`
(bot/feature.py). The one list of them is `bot.app.FEATURES`."""

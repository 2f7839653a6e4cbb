"""Keeping matrix-nio's logs from carrying what members wrote.

nio logs whole events at DEBUG, room and user ids at INFO, and at WARNING and
ERROR it quotes events that fail validation (`str(ValidationError)` includes
the event). Whatever level Hearth's log is set to, nio's records below WARNING
are dropped at the source and the rest reach Hearth's handlers only as their
fixed wording, with any text they would have quoted withheld. peewee (nio's
crypto store) logs SQL with its parameters at DEBUG: it is held at INFO.
"""

from __future__ import annotations

import logging

WITHHELD = "<withheld>"


class _Withholding(logging.Handler):
    """Passes nio's warnings on to the root handlers without their quoted text."""

    def emit(self, record: logging.LogRecord) -> None:
        safe = logging.makeLogRecord(record.__dict__)
        if record.args:
            # A %-style template is fixed text; numbers are safe, anything else may not be.
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            safe.args = tuple(
                a if isinstance(a, int | float) and not isinstance(a, bool) else WITHHELD
                for a in args
            )
            try:
                safe.msg % safe.args
            except (TypeError, ValueError):
                safe.msg, safe.args = f"a nio message at {record.filename}:{record.lineno}", ()
        else:
            # An f-string was formatted before logging: it may hold anything.
            safe.msg = f"a nio message at {record.filename}:{record.lineno} ({WITHHELD})"
        if record.exc_info and record.exc_info[0] is not None:
            safe.msg = f"{safe.msg} [{record.exc_info[0].__name__}]"
        safe.exc_info = safe.exc_text = safe.stack_info = None
        logging.getLogger().handle(safe)


_handler = _Withholding()


def contain_library_logs() -> None:
    """Idempotent; called whenever a Matrix client is made."""
    nio = logging.getLogger("nio")
    nio.setLevel(logging.WARNING)
    nio.propagate = False
    if _handler not in nio.handlers:
        nio.addHandler(_handler)
    peewee = logging.getLogger("peewee")
    peewee.setLevel(max(logging.INFO, peewee.level))


def release_library_logs() -> None:
    """Undo `contain_library_logs` (tests: a test runner that attaches its own
    capture to loggers that do not propagate would otherwise read nio's raw text)."""
    nio = logging.getLogger("nio")
    nio.removeHandler(_handler)
    nio.propagate = True
    nio.setLevel(logging.NOTSET)

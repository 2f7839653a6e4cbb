"""Find the words a member or moderator reads that are still written in the code
rather than in the message catalogue (bot/texts).

An honest heuristic over the syntax tree, not a proof. A string literal (an
f-string is one literal, its placeholders shown as `{}`) is reported when it is
- the text of `x.say(...)`, `Refusal(...)`, `Message(...)`, a `Choice(...)`
  label, `TimingError(...)` (shown as a Refusal), or a declared `Command`,
  `Group`, `Option`, `Field` or `Form` description, label, placeholder or title
  (those take `Words`, a catalogue id): any letter counts. The usage and
  summary of `router.add(...)` are catalogue ids (`checkins.usage`) that `help`
  renders in the reader's language, like `wiring.mod_usage`: not text;
- in the value of a module-level UPPER_CASE constant and has two or more words
  with letters (`TOO_FEW = "too few members to show"`, the labels in a tuple,
  the lines of a `"\\n".join([...])`), so `ENV_VAR = "HEARTH_KEY"` stays out;
- reaching one of those through `+`, `x if c else y`, `or`, tuples, lists,
  comprehensions, dict values, f-string placeholders and str methods, through a
  local variable (`so_far = f"…"` then `req.say(f"… {so_far}")`, also `+=` and
  `lines.append(...)`), returned by a function whose result is shown, or passed
  to a parameter that reaches a shown place (`tell_author(…, text, …)`).
  Functions are matched by name across the files scanned (no imports followed).
The arguments of any other call are not read. Docstrings, log calls
(`log.info(...)` and the like), SQL (a string starting with SELECT, INSERT,
UPDATE, DELETE, CREATE, ALTER, DROP or WITH, or a fragment with an upper-case
SQL word or an `alias.column`) and strings without letters are skipped.

It misses text kept in class attributes or instance fields, passed through
`**kwargs`, messages of other exceptions (`ConfigError`, shown on `mod reload`),
operator-only text (the CLI, startup errors) and the YAML data.
It wrongly reports two-word codes kept in constants (`("mod approve", …)`,
`"matrix store"`), strftime patterns kept in variables, and a message that
happens to shout an SQL word ("YES OR NO") is wrongly skipped.

`python tests/literal_scan.py [PATH …]` lists what it finds (default: bot and
adapters) and prints the count.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

Found = tuple[str, int, str]  # file, line, text


@dataclass(frozen=True)
class _Shown:
    """Which arguments of a call are read by people."""

    positions: tuple[int, ...]
    keywords: tuple[str, ...]


# Keys: a class or function name (`Refusal`, also `commands.Refusal`), `.attr`
# for a method on any receiver, `name.attr` for one receiver.
SHOWN_CALLS: dict[str, _Shown] = {
    ".say": _Shown((0,), ("text",)),
    "Refusal": _Shown((0,), ("message",)),
    "Message": _Shown((0,), ("text",)),
    "Choice": _Shown((0,), ("label",)),
    "TimingError": _Shown((0,), ()),  # checkins/commands.py: raise Refusal(str(exc))
    # command declarations (bot/port.py) and their forms: labels are `Words`, never text
    "Option": _Shown((1,), ("description",)),
    "Command": _Shown((1,), ("description",)),
    "Group": _Shown((1,), ("description",)),
    "Field": _Shown((1,), ("label", "placeholder")),
    "Form": _Shown((1,), ("title",)),
}
# A str method's result reads as its receiver does; its arguments may be text too.
STR_METHODS = {"format", "join", "replace", "strip", "lstrip", "rstrip", "capitalize", "upper"}
# Growing a shown local: `lines.append(f"…")`.
LIST_METHODS = {"append", "extend", "insert"}
LOG_RECEIVERS = {"log", "logger", "logging", "_log", "_logger", "LOG"}
LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
SQL_START = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|WITH)\b")
# A fragment kept in a constant and spliced into a query (`"status IN (…)"`,
# `"coalesce(s.delivered_at, …)"`): an upper-case SQL word or an alias.column.
SQL_FRAGMENT = re.compile(r"\b(AND|OR|IN|IS|NULL|FROM|WHERE|JOIN)\b|\b[a-z]\.[a-z]+_[a-z_]+\b")
UPPER_NAME = re.compile(r"_?[A-Z][A-Z0-9_]*")
LETTER = re.compile(r"[^\W\d_]")

# Words needed for a literal to count: where it is shown any letter will do,
# in a module constant two words (so names, keys and codes stay out).
_ANY, _TWO_WORDS = 1, 2
_FUNCTIONS = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class _Flow:
    """What the last pass learnt: the locals and functions whose value is shown.
    Passes repeat until it stops growing (a local shown makes its value shown)."""

    functions: set[str] = field(default_factory=set)
    locals: set[tuple[int, str]] = field(default_factory=set)  # (id of the def, name)
    #: (function name, argument index or keyword) whose value reaches a shown place
    params: set[tuple[str, int | str]] = field(default_factory=set)

    def size(self) -> int:
        return len(self.functions) + len(self.locals) + len(self.params)


def member_facing_literals(paths: Iterable[str | Path]) -> list[Found]:
    """Every member-facing literal in the given .py files and directories."""
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return _scan_trees([(str(f), ast.parse(f.read_text(encoding="utf-8"), str(f))) for f in files])


def literals_in_source(source: str, filename: str = "<string>") -> list[Found]:
    return _scan_trees([(filename, ast.parse(source, filename))])


def _scan_trees(trees: list[tuple[str, ast.Module]]) -> list[Found]:
    flow = _Flow()
    while True:
        before = flow.size()
        scans = [_Scan(filename, flow) for filename, _ in trees]
        for scan, (_, tree) in zip(scans, trees, strict=True):
            scan.module(tree)
        if flow.size() == before:
            break
    order = {filename: index for index, (filename, _) in enumerate(trees)}
    found = dict.fromkeys(item for scan in scans for item in scan.found)  # reached twice: once
    return sorted(found, key=lambda item: (order[item[0]], item[1]))


def _is_upper_constant(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AnnAssign):
        targets = [statement.target]
    else:
        return False
    return all(isinstance(t, ast.Name) and UPPER_NAME.fullmatch(t.id) for t in targets)


def _shown(call: ast.Call) -> _Shown | None:
    func = call.func
    if isinstance(func, ast.Name):
        return SHOWN_CALLS.get(func.id)
    if isinstance(func, ast.Attribute):
        if isinstance(func.value, ast.Name) and f"{func.value.id}.{func.attr}" in SHOWN_CALLS:
            return SHOWN_CALLS[f"{func.value.id}.{func.attr}"]
        return SHOWN_CALLS.get(f".{func.attr}") or (
            SHOWN_CALLS.get(func.attr) if func.attr[:1].isupper() else None
        )
    return None


def _is_log_call(call: ast.Call) -> bool:
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in LOG_METHODS:
        return False
    receiver = func.value
    name = receiver.id if isinstance(receiver, ast.Name) else getattr(receiver, "attr", "")
    return name in LOG_RECEIVERS or name.endswith(("log", "logger"))


class _Scan:
    def __init__(self, filename: str, flow: _Flow) -> None:
        self.filename = filename
        self.flow = flow
        self.found: list[Found] = []
        self.scope: list[ast.AST] = []  # the enclosing defs, innermost last

    def module(self, tree: ast.Module) -> None:
        self.scope = [tree]
        for statement in tree.body:
            value = getattr(statement, "value", None)
            if _is_upper_constant(statement) and value is not None:
                self.visit(value, _TWO_WORDS)
            else:
                self.visit(statement, None)

    def _local_shown(self, name: str) -> bool:
        return (id(self.scope[-1]), name) in self.flow.locals

    def visit(self, node: ast.AST, words: int | None) -> None:
        """Walk `node`; `words` is None where a literal is not read by people."""
        if isinstance(node, _FUNCTIONS):
            self._function(node)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            self._assign(node)
        elif isinstance(node, ast.Call):
            self._call(node, words)
        elif isinstance(node, ast.Name):
            if words:
                self.flow.locals.add((id(self.scope[-1]), node.id))
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, str) and words:
                self._report(node, node.value, words)
        elif isinstance(node, ast.JoinedStr):
            if words:
                parts = [v.value if isinstance(v, ast.Constant) else "{}" for v in node.values]
                self._report(node, "".join(map(str, parts)), words)
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    self.visit(value.value, words)  # not format_spec: `{day:%a %d %b}`
        elif isinstance(node, ast.IfExp):
            self.visit(node.test, None)
            self.visit(node.body, words)
            self.visit(node.orelse, words)
        elif isinstance(node, ast.Dict):
            for key in node.keys:
                if key is not None:
                    self.visit(key, None)
            for value in node.values:
                self.visit(value, words)
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            self.visit(node.value if isinstance(node, ast.DictComp) else node.elt, words)
            for generator in node.generators:
                self.visit(generator, None)
        elif isinstance(node, ast.Subscript):
            self.visit(node.value, words)  # `LABELS[mood]`, `text[:100]`
            self.visit(node.slice, None)
        elif isinstance(node, ast.Return) and node.value is not None:
            shown = isinstance(self.scope[-1], _FUNCTIONS) and (
                self.scope[-1].name in self.flow.functions
            )
            self.visit(node.value, _ANY if shown else None)
        elif words and isinstance(node, ast.BinOp | ast.BoolOp | ast.Tuple | ast.List | ast.Set):
            for child in ast.iter_child_nodes(node):
                self.visit(child, words)
        elif isinstance(node, ast.Starred):
            self.visit(node.value, words)
        else:
            for child in ast.iter_child_nodes(node):
                self.visit(child, None)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for child in [*node.decorator_list, node.args, *([node.returns] if node.returns else [])]:
            self.visit(child, None)
        self.scope.append(node)
        for statement in node.body:
            self.visit(statement, None)
        self.scope.pop()
        # A parameter that reaches a shown place makes the callers' argument shown.
        positional = [*node.args.posonlyargs, *node.args.args]
        if positional and positional[0].arg in ("self", "cls"):
            positional = positional[1:]  # called as `obj.method(...)`
        for index, arg in enumerate(positional):
            if (id(node), arg.arg) in self.flow.locals:
                self.flow.params |= {(node.name, index), (node.name, arg.arg)}
        for arg in node.args.kwonlyargs:
            if (id(node), arg.arg) in self.flow.locals:
                self.flow.params.add((node.name, arg.arg))

    def _assign(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [n for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        shown = any(self._local_shown(n.id) for n in names)  # `title, fields = …` too
        if node.value is not None:
            self.visit(node.value, _ANY if shown else None)

    def _call(self, call: ast.Call, words: int | None) -> None:
        if _is_log_call(call):
            return
        func = call.func
        method = func.attr if isinstance(func, ast.Attribute) else None
        if words and isinstance(func, ast.Name):
            self.flow.functions.add(func.id)  # its return value is shown
        elif words and method and method not in STR_METHODS:
            self.flow.functions.add(method)
        grows = (
            method in LIST_METHODS
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and self._local_shown(func.value.id)
        )
        passes = words if method in STR_METHODS else (_ANY if grows else None)
        if isinstance(func, ast.Attribute):
            self.visit(func.value, passes)
        else:
            self.visit(func, None)
        shown = _shown(call)
        name = method or (func.id if isinstance(func, ast.Name) else "")
        params = self.flow.params
        for index, arg in enumerate(call.args):
            spoken = shown and index in shown.positions or (name, index) in params
            self.visit(arg, _ANY if spoken else passes)
        for keyword in call.keywords:
            spoken = shown and keyword.arg in shown.keywords or (name, keyword.arg or "") in params
            self.visit(keyword.value, _ANY if spoken else None)

    def _report(self, node: ast.expr, text: str, words: int) -> None:
        if not LETTER.search(text) or SQL_START.match(text) or SQL_FRAGMENT.search(text):
            return
        if sum(1 for word in text.split() if LETTER.search(word)) < words:
            return
        self.found.append((self.filename, node.lineno, text))


def main(argv: list[str]) -> int:
    found = member_facing_literals(argv or ["bot", "adapters"])
    for file, line, text in found:
        print(f"{file}:{line}: {text[:90]!r}")
    print(f"{len(found)} member-facing literals")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The house's rules, checked on the code itself (ARCHITECTURE.md): features never import
each other, there are no import circles, and a feature is its folder plus one line.

Imports are read with `ast`, the way Python runs them: those at module level and in
functions alike (a function-level import still ties two modules), but not those under
`if TYPE_CHECKING:`, which only type checkers follow.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from bot.app import FEATURES
from bot.clock import FakeClock
from bot.config import Config
from bot.feature import Feature, Services, Wiring
from bot.port import Command, Option, Words
from bot.requests import Request, Router
from tests.conftest import START, Harness, RecordingAdapter, community
from tests.literal_scan import member_facing_literals

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "adapters")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {
        module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    }


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking_only(node):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _imports(node)


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project's modules `name` imports; `from a import b` counts as `a.b` when b is
    a module, else as `a`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")
            anchor = anchor[: len(anchor) - node.level + 1]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            target = f"{base}.{alias.name}"
            if target in known:
                found.add(target)
            elif base in known:
                found.add(base)
    found.discard(name)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    names = set(known)
    return {name: imports_of(name, path, names) for name, path in known.items()}


def feature_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] != ["bot", "features"] or len(parts) < 3:
        return None
    return parts[2]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


# --- the rules ---------------------------------------------------------------------------


def test_the_import_reader_sees_what_it_should():
    edges = graph()
    assert "bot.storage" in edges["bot.app"] and "bot.features.sharing" in edges["bot.app"]
    assert "bot.features.checkins.prompts" in edges["bot.features.checkins"]
    # `if TYPE_CHECKING:` imports are not followed: bot.requests names MemberRecord so.
    assert "bot.members" not in edges["bot.requests"]


def test_no_feature_imports_another():
    crossings = [
        f"{module} -> {target}"
        for module, targets in graph().items()
        for target in targets
        if feature_of(module) and feature_of(target) and feature_of(module) != feature_of(target)
    ]
    assert crossings == []


def test_no_import_circles():
    assert cycles(graph()) == []


#: what an adapter imports of the project besides its own package (issue 17); the
#: standard library, aiohttp and its platform library are not the project's modules
ADAPTERS_MAY_IMPORT = {"bot.port", "bot.config"}


def test_the_matrix_adapter_imports_only_the_port_and_the_config():
    crossings = [
        f"{module} -> {target}"
        for module, targets in graph().items()
        if module.startswith("adapters.matrix")
        for target in targets
        if not target.startswith("adapters.matrix") and target not in ADAPTERS_MAY_IMPORT
    ]
    assert crossings == []


# What each adapter may import besides the standard library and its own package: the
# port, the config types, and its platform's library (ARCHITECTURE.md, "The port").
CORE_FOR_ADAPTERS = {"bot.port", "bot.config"}
PLATFORM_LIBRARIES = {
    "adapters.console": set(),
    "adapters.discord": {"discord", "aiohttp"},
    "adapters.matrix": {"nio", "aiohttp"},
}


def every_import(path: Path) -> Iterator[str]:
    """Every module `path` names in an import, `if TYPE_CHECKING:` ones too (a
    type an adapter borrows from the core's insides is a tie all the same)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module == "__future__":
                continue
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def test_adapters_import_only_the_port_the_config_and_their_platform():
    known = modules()
    wrong = []
    for name, path in known.items():
        if not name.startswith("adapters."):
            continue
        package = next(p for p in PLATFORM_LIBRARIES if name == p or name.startswith(p + "."))
        for target in every_import(path):
            top = target.split(".")[0]
            if top == "bot":
                if target in known and target not in CORE_FOR_ADAPTERS:
                    wrong.append(f"{name} -> {target}")
            elif top == "adapters":
                if target in known and not target.startswith(package):
                    wrong.append(f"{name} -> {target}")
            elif top not in sys.stdlib_module_names and top not in PLATFORM_LIBRARIES[package]:
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_the_core_names_no_platform():
    """The core decides alike for every platform: no `platform == "discord"` in bot/.
    The config loader may: it checks each platform's own YAML keys (a Discord
    community needs its `guild_id`)."""
    found = []
    for name, path in modules().items():
        if not name.startswith("bot.") or name == "bot.config_loader":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and any(
                isinstance(side, ast.Constant) and side.value in {"discord", "matrix"}
                for side in (node.left, *node.comparators)
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def test_the_cycle_finder_finds_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_feature_is_declared_once_and_listed():
    names = [feature.name for feature in FEATURES]
    assert len(names) == len(set(names))
    folders = {p.stem for p in (ROOT / "bot" / "features").iterdir() if p.stem != "__init__"}
    folders.discard("__pycache__")
    assert set(names) == folders


# --- a feature is its folder plus one line --------------------------------------------------


class GratitudeJob:
    """A job of the test feature: once a day it counts what was written."""

    name = "gratitude"

    def __init__(self, services: Services) -> None:
        self.db, self.config = services.db, services.config
        self.due: datetime | None = START + timedelta(hours=1)
        self.runs = 0

    async def next_due_at(self) -> datetime | None:
        return self.due

    async def run_due(self, now: datetime) -> None:
        if self.due is not None and self.due <= now:  # called on every pass, due or not
            self.runs += 1
            self.due = now + timedelta(days=1)


JOBS: list[GratitudeJob] = []


async def thanks(req: Request) -> None:
    req.say(req.t("gratitude.thank_you", what=req.args.text or req.t("gratitude.that")))


def _gratitude_handlers(router: Router, wiring: Wiring) -> None:
    router.add("thanks", thanks, "gratitude.usage", "gratitude.summary")


def _gratitude_jobs(services: Services) -> list[GratitudeJob]:
    JOBS.append(GratitudeJob(services))
    return JOBS[-1:]


async def _gratitude_export(req: Request) -> dict[str, object]:
    return {"gratitude": {"member": req.member.user_id}}


THANKS = Command(
    ("thanks",),
    Words("gratitude.thanks"),
    (Option("text", Words("gratitude.option_text"), required=True, max_length=200),),
)

GRATITUDE = Feature(
    "gratitude",
    handlers=_gratitude_handlers,
    commands=lambda config: (THANKS,),
    jobs=_gratitude_jobs,
    export=_gratitude_export,
    catalogue=Path(__file__).parent / "gratitude",
)


async def test_a_feature_is_its_declaration_plus_one_line(db_url):
    from bot.app import Hearth
    from bot.storage import open_database
    from bot.vault import Vault
    from tests.conftest import SECRET

    config = Config(database=db_url, communities=(community(),))
    adapter, clock = RecordingAdapter(), FakeClock(START)
    db = await open_database(config.database)
    try:
        hearth = Hearth(
            config, db, clock, {"console": adapter}, Vault(SECRET), features=(*FEATURES, GRATITUDE)
        )
        h = Harness(hearth, adapter, clock)
        assert await h.command("ana", "thanks the sun") == ["Thank you for noticing the sun 💛"]
        # declared once: offered to the platforms (Discord's slash commands) with the rest
        assert THANKS in hearth.declared("console").commands
        assert "`thanks` — gratitude" in (await h.command("ana", "help"))[0]
        await h.advance(hours=2)
        assert JOBS[-1].runs == 1
        await h.command("ana", "mydata export")
        export = adapter.sent[-1].message.attachment
        assert export is not None and b'"gratitude": {' in export.data
    finally:
        await db.close()


# --- every word a member reads is in the catalogue --------------------------------------------

# What the scan (tests/literal_scan.py) reports that is not a member's word in code:
NOT_MEMBER_TEXT = {
    # operator-facing: config problems and the key file, read by whoever runs Hearth
    "bot/config_loader.py",
    "bot/crypto.py",
}
KNOWN_FALSE_POSITIVES = {
    ("adapters/discord/translate.py", "mod approve"),  # command words matched as data
    ("adapters/discord/translate.py", "mod reject"),
    ("adapters/discord/translate.py", "mod block"),
    ("adapters/matrix/session.py", "matrix store"),  # a name for the operator's log
    # The default mood labels are configuration a community may override in YAML;
    # their localised defaults come with the languages issue.
    ("bot/config.py", "😞 very low"),
    ("bot/config.py", "😄 very good"),
    # The default buddy interests, like the labels: the community's own words in YAML.
    ("bot/config.py", "night shifts"),
}


def test_no_member_facing_literal_outside_the_catalogue():
    found = member_facing_literals([ROOT / package for package in PACKAGES])
    left = sorted(
        (str(Path(path).relative_to(ROOT)), line, text)
        for path, line, text in found
        if str(Path(path).relative_to(ROOT)) not in NOT_MEMBER_TEXT
        and (str(Path(path).relative_to(ROOT)), text) not in KNOWN_FALSE_POSITIVES
    )
    assert left == []


def test_the_literal_scan_still_sees_a_literal():
    import textwrap

    source = textwrap.dedent(
        """
        async def handler(req):
            req.say("Thank you for sharing, it matters")
        """
    )
    sample = ROOT / "tests" / "_scan_sample.py"
    sample.write_text(source)
    try:
        assert [text for _, _, text in member_facing_literals([sample])] == [
            "Thank you for sharing, it matters"
        ]
    finally:
        sample.unlink()

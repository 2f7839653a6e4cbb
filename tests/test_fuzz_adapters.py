"""Fuzzing the Discord and Matrix translation layers with mutated payloads.

Discord: modal components of any shape, any custom id and form values, any
message to render; then whole INTERACTION_CREATE and MESSAGE_CREATE payloads
with fuzzed option values, button ids, form fields and DM text, through
discord.py's own parser and the adapter into a real Hearth (the fake transport
of `discord_support`): nothing raises, nothing is logged as an error, nothing
ends in "something went wrong".

Matrix: saved Synapse events mutated at random (fields removed, replaced by
values of any JSON type) and parsed by nio: each becomes a core event with
well-typed fields or nothing; one that fails the spec's schema is dropped with
a log line by the sync loop, which goes on.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

pytest.importorskip("discord")
pytest.importorskip("nio")

from nio import Event as NioEvent  # noqa: E402

from adapters.discord import translate as discord_translate  # noqa: E402
from adapters.matrix import translate as matrix_translate  # noqa: E402
from adapters.matrix.sync import SyncLoop  # noqa: E402
from adapters.matrix.translate import Where  # noqa: E402
from bot.app import SORRY  # noqa: E402
from bot.port import (  # noqa: E402
    Choice,
    CommandGiven,
    Declarations,
    Event,
    Message,
    MessagePosted,
    Option,
    ReactionAdded,
    Spoiler,  # noqa: E402
)
from tests.discord_payloads import BOT, MOD_ROLE, dm_message, press, slash, submit, user  # noqa: E402
from tests.discord_support import Harness, discord_config, start  # noqa: E402
from tests.test_fuzz_commands import FUZZ, WORDS, run  # noqa: E402
from tests.test_matrix_client import adapter_for  # noqa: E402
from tests.test_matrix_translate import REACTION, TEXT  # noqa: E402

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(("components", "component", "custom_id", "value", "type", "event_id"))
            | st.text(max_size=6),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)
words = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join),
)


# --- Discord: the pure translation -------------------------------------------------------


@FUZZ
@given(components=JSON)
def test_modal_components_of_any_shape_give_text_fields_or_nothing(components: Any) -> None:
    for shaped in (components, [components]):
        values = discord_translate.submitted_values(shaped)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in values.items())


@FUZZ
@given(custom_id=st.text() | words | JSON.map(json.dumps))
def test_any_custom_id_becomes_a_well_typed_invocation_or_nothing(custom_id) -> None:
    for prefix in ("", discord_translate.CHOICE_PREFIX, discord_translate.FORM_PREFIX):
        carried = discord_translate.form_invocation(prefix + custom_id)
        if carried is not None:
            assert carried.command and all(isinstance(word, str) for word in carried.command)
            assert all(isinstance(k, str) for k in carried.values)
            assert all(isinstance(v, str | int | bool) for v in carried.values.values())
            assert carried.community is None or isinstance(carried.community, str)
        command = discord_translate.command_from_custom_id(prefix + custom_id)
        assert command is None or command.strip() == command


emoji = st.none() | st.text(max_size=3)
messages = st.builds(
    Message,
    st.text(max_size=5000),
    st.lists(
        st.builds(
            Choice, st.text(max_size=120), st.text(max_size=120), st.none() | st.text(max_size=3)
        ),
        max_size=30,
    ).map(tuple),
    st.none(),
    st.none() | st.builds(Spoiler, st.text(max_size=300), st.text(max_size=5000)),
    st.none() | st.text(max_size=25),
    st.none() | st.text(max_size=60),
)


@FUZZ
@given(message=messages)
def test_any_message_renders_within_discords_limits(message: Message) -> None:
    rendered = discord_translate.render(message)
    assert rendered.content is None or len(rendered.content) <= discord_translate.CONTENT_MAX
    assert rendered.embed is None or len(rendered.embed) <= discord_translate.EMBED_MAX
    assert len(rendered.buttons) <= discord_translate.BUTTONS_MAX
    for button in rendered.buttons:
        assert len(button.custom_id) <= discord_translate.CUSTOM_ID_MAX
        assert len(button.label) <= discord_translate.LABEL_MAX
    assert rendered.nonce is None or len(rendered.nonce) <= discord_translate.NONCE_MAX


# --- Discord: payloads through discord.py into Hearth ----------------------------------------

PEOPLE = (user(400000000000000001, "alice"), user(400000000000000002, "bob"))


class Errors(logging.Handler):
    """Every record at ERROR or above, from any library: a crash reported as a log."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def discord_world(tmp_path) -> Iterator[tuple[Harness, asyncio.AbstractEventLoop, Errors]]:
    loop = asyncio.new_event_loop()
    harness = loop.run_until_complete(start(discord_config(f"sqlite:///{tmp_path}/hearth.db")))
    errors = Errors()
    logging.getLogger().addHandler(errors)
    yield harness, loop, errors
    logging.getLogger().removeHandler(errors)
    loop.run_until_complete(harness.stop())
    pending = asyncio.all_tasks(loop)  # views' timeouts: cancelled, as discord.py does on close
    for task in pending:
        task.cancel()
    if pending:  # gather() of nothing would look for a current loop, and there is none
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()


def option_value(option: Option) -> st.SearchStrategy[object]:
    if option.kind is bool:
        return st.booleans()
    if option.kind is int:  # Discord carries integers up to 2**53
        return st.integers(-(2**53), 2**53) | st.integers(0, 10)
    return words | st.sampled_from([word for _, word in option.choices] or ["x"])


@st.composite
def slash_payloads(draw: st.DrawFn, declared: Declarations) -> dict[str, Any]:
    command = draw(st.sampled_from(declared.commands))
    values = {
        o.name: draw(option_value(o)) for o in command.options if o.required or draw(st.booleans())
    }
    roles = draw(st.sampled_from(([], [MOD_ROLE])))
    return slash(draw(st.sampled_from(PEOPLE)), command.qualified_name, values, roles=roles)


@st.composite
def button_payloads(draw: st.DrawFn) -> dict[str, Any]:
    """A press on a button of a message the bot sent, whatever its custom id says."""
    custom_id = (discord_translate.CHOICE_PREFIX + draw(words))[: discord_translate.CUSTOM_ID_MAX]
    button = {"type": 2, "style": 2, "label": "Choice", "custom_id": custom_id}
    message = dm_message(BOT, "Time for your check-in", "200000000000000001")
    message["components"] = [{"type": 1, "components": [button]}]
    return press(draw(st.sampled_from(PEOPLE)), message, custom_id)


@st.composite
def form_payloads(draw: st.DrawFn, declared: Declarations) -> dict[str, Any]:
    """A submitted form: one Hearth opened (any declared form, any values), or any id."""
    command = draw(st.sampled_from([c for c in declared.commands if c.form is not None]))
    values = {o.name: draw(option_value(o)) for o in command.options if draw(st.booleans())}
    community = draw(st.none() | st.sampled_from(("harbour", "elsewhere")))
    made = discord_translate.form_custom_id(command, values, community)
    custom_id = draw(st.just(made or "") | st.text(max_size=100))
    names = sorted({f.name for c in declared.commands if c.form for f in c.form.fields})
    fields = draw(st.dictionaries(st.sampled_from(names), words))
    payload = submit(draw(st.sampled_from(PEOPLE)), custom_id, fields)
    if draw(st.booleans()):  # a client that mangles the components themselves
        payload["data"]["components"] = draw(JSON)
    return payload


def interactions_and_dms(declared: Declarations) -> st.SearchStrategy[tuple[str, dict]]:
    return st.one_of(
        slash_payloads(declared).map(lambda p: ("INTERACTION_CREATE", p)),
        button_payloads().map(lambda p: ("INTERACTION_CREATE", p)),
        form_payloads(declared).map(lambda p: ("INTERACTION_CREATE", p)),
        st.builds(
            lambda who, text: ("MESSAGE_CREATE", dm_message(who, text, "700000000000000500")),
            st.sampled_from(PEOPLE),
            words,
        ),
    )


@FUZZ
@given(data=st.data())
def test_any_interaction_or_dm_is_answered_without_an_error(discord_world, data) -> None:
    harness, loop, errors = discord_world
    # the slash commands and forms as the adapter offers them: what the core declares
    event = data.draw(interactions_and_dms(harness.adapter.declared))
    errors.records.clear()
    registry = harness.hearth.metrics.registry
    failures = registry.get_sample_value("hearth_errors_total", {"kind": "failure"})
    requests = run(loop, harness.run(*event))
    assert not errors.records, [r.getMessage() for r in errors.records]
    assert registry.get_sample_value("hearth_errors_total", {"kind": "failure"}) == failures
    assert not any(SORRY in json.dumps(r.json) for r in requests)


# --- Matrix ----------------------------------------------------------------------------------

REPLY = copy.deepcopy(TEXT)
REPLY["content"]["body"] = "> <@bob:hearth.test> how are you?\n\n!checkin 3"
REPLY["content"]["m.relates_to"] = {"m.in_reply_to": {"event_id": "$asked"}}
EDIT = copy.deepcopy(TEXT)
EDIT["content"]["m.relates_to"] = {"rel_type": "m.replace", "event_id": "$first"}
SAVED_EVENTS = (TEXT, REACTION, REPLY, EDIT)
FIELDS = ("content", "body", "msgtype", "m.relates_to", "m.in_reply_to", "event_id", "key")


@st.composite
def mutated_events(draw: st.DrawFn) -> dict[str, Any]:
    """A saved event with a few fields removed or replaced by any JSON value."""
    event = copy.deepcopy(draw(st.sampled_from(SAVED_EVENTS)))
    for _ in range(draw(st.integers(1, 4))):
        node = event
        while isinstance(node, dict) and node and draw(st.booleans()):
            inner = node[draw(st.sampled_from(sorted(node)))]
            if not isinstance(inner, dict):
                break
            node = inner
        if not isinstance(node, dict):
            continue
        key = draw(st.sampled_from(sorted({*node, *FIELDS})))
        if draw(st.booleans()):
            node.pop(key, None)
        else:
            node[key] = draw(JSON)
    return event


def parsed(source: dict[str, Any]) -> object:
    try:
        return NioEvent.parse_event(source)
    except Exception:  # nio's own parser gives up on some shapes; not ours to read
        assume(False)


@FUZZ
@given(source=mutated_events(), dm=st.booleans())
def test_a_mutated_matrix_event_becomes_a_well_formed_event_or_nothing(source, dm) -> None:
    event = parsed(source)
    where = Where("!room:hearth.test", "@ann:hearth.test" if dm else None, {"circle": 50})
    core = matrix_translate.inbound(event, where)  # type: ignore[arg-type]
    assert core is None or isinstance(core, CommandGiven | MessagePosted | ReactionAdded)
    if core is not None:
        assert isinstance(core.event_id, str) and core.event_id
        assert isinstance(core.member.user_id, str) and core.member.user_id
        for field in ("text", "reply_to", "message_id", "emoji"):
            assert isinstance(getattr(core, field, ""), str | None)


@FUZZ
@given(message=messages)
def test_any_message_becomes_a_notice_that_pings_nobody(message: Message) -> None:
    content = matrix_translate.message_content(message)
    json.dumps(content)
    assert content["msgtype"] == "m.notice" and content["m.mentions"] == {}


async def test_a_malformed_event_is_dropped_with_a_log_line_and_the_sync_goes_on(
    tmp_path, caplog
) -> None:
    handled: list[Event] = []

    async def handle(event: Event) -> None:
        handled.append(event)

    adapter = adapter_for("http://127.0.0.1:9", tmp_path, password="unused")
    loop = SyncLoop(adapter, handle, state=None, timeline_limit=10)  # type: ignore[arg-type]
    caplog.set_level(logging.INFO, logger="adapters.matrix.sync")
    malformed = copy.deepcopy(TEXT)
    malformed["content"]["body"] = 4  # a number where the spec says text
    nameless = {k: v for k, v in TEXT.items() if k != "sender"}
    for source in (malformed, nameless):
        await loop._dispatch("!room:hearth.test", NioEvent.parse_event(source), "s1")
    await adapter.client.close()
    assert not handled
    dropped = [r for r in caplog.records if "malformed; dropped" in r.getMessage()]
    assert len(dropped) == 2 and TEXT["event_id"] in dropped[0].getMessage()
    assert "!checkin" not in caplog.text and "@ann" not in caplog.text  # ids, never words

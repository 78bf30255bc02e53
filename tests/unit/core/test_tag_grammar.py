import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowra_core.domain.tags.grammar import (
    CONVERTING_TAGS,
    MAX_TAGS_PER_MESSAGE,
    TAG_CATALOGUE,
    WORK_ITEM_TAGS,
    ParsedTag,
    Permission,
    PlannedCommand,
    PlannedFailure,
    PlannedTag,
    TagName,
    ValuePolicy,
    has_tag_lines,
    parse_tags,
    plan_commands,
    required_permission,
)
from flowra_core.domain.tags.replies import TagFailureCode

Pairs = list[tuple[str, str]]


def pairs(content: str) -> Pairs:
    return [(tag.name, tag.value) for tag in parse_tags(content)]


# --- tags.md §2 examples ----------------------------------------------------------------------

SPEC_EXAMPLES: list[tuple[str, Pairs]] = [
    ("#status In Progress", [("status", "In Progress")]),
    ("#status Done #priority high", [("status", "Done"), ("priority", "high")]),
    ("#close #status Done", [("close", ""), ("status", "Done")]),
    ("#title Fix #123 and #Bar", [("title", "Fix #123 and #Bar")]),
    ("#title Fix #bug in parser", [("title", "Fix"), ("bug", "in parser")]),
    ("#Status Done", []),
    ("#general is great", []),
    ("#status Done #foo bar", [("status", "Done"), ("foo", "bar")]),
    ("I wrote docs #status Done", []),
]


@pytest.mark.parametrize(("content", "expected"), SPEC_EXAMPLES)
def test_spec_examples(content: str, expected: Pairs) -> None:
    assert pairs(content) == expected


def test_spec_reply_example_message() -> None:
    content = (
        "Login fails on Safari\n#task Fix Safari login #priority High #assignee @bob\n"
        "#due 2026-03-01"
    )
    assert pairs(content) == [
        ("task", "Fix Safari login"),
        ("priority", "High"),
        ("assignee", "@bob"),
        ("due", "2026-03-01"),
    ]


# --- edge cases -------------------------------------------------------------------------------

EDGE_CASES: list[tuple[str, str, Pairs]] = [
    ("crlf", "#status Done\r\n#priority High\r\n", [("status", "Done"), ("priority", "High")]),
    ("lone cr is text", "#close\r", []),
    ("lone cr inside a value", "#title a\rb", [("title", "a\rb")]),
    ("tabs trimmed", "\t #status \tDone\t \n", [("status", "Done")]),
    ("tab ends the name", "#status\tDone", [("status", "Done")]),
    (
        "tab before # does not split (G5)",
        "#status Done\t#priority High",
        [("status", "Done\t#priority High")],
    ),
    (
        "tab then space splits",
        "#status Done\t #priority High",
        [("status", "Done"), ("priority", "High")],
    ),
    ("blank lines", "\n\n  \n\t\n#close\n\n", [("close", "")]),
    (
        "mixed with text (G3)",
        "hello\n#status Done\nbye #priority High\n#close",
        [("status", "Done"), ("close", "")],
    ),
    (
        "uppercase later name is value",
        "#status Done #Priority High",
        [("status", "Done #Priority High")],
    ),
    ("empty value before next (G6)", "#assignee #due", [("assignee", ""), ("due", "")]),
    ("many spaces before next", "#close    #reopen", [("close", ""), ("reopen", "")]),
    ("x#y in value", "#title x#y", [("title", "x#y")]),
    ("x#y as line", "x#y", []),
    ("quotes are literal", "#title \"quoted\" 'x'", [("title", "\"quoted\" 'x'")]),
    ("hash digit in value", "#title #1 #42", [("title", "#1 #42")]),
    ("non-ascii letter does not split", "#title a #été", [("title", "a #été")]),
    ("name glued to #", "#close#status Done", []),
    ("first name must be whole", "#statusX Done", []),
    ("lone #", "#", []),
    ("# then space", "# status Done", []),
    (
        "unknown glued after first",
        "#status Done #foo-bar x",
        [("status", "Done"), ("foo-bar", "x")],
    ),
    ("unknown uppercase inside name", "#close #fooBar", [("close", ""), ("fooBar", "")]),
    ("value keeps inner spacing", "#title a  \t b", [("title", "a  \t b")]),
    ("double hash", "#title a ##b", [("title", "a ##b")]),
    ("hash space hash", "#title a # #close", [("title", "a #"), ("close", "")]),
    ("nbsp is not whitespace", "#close\u00a0", []),
    (
        "every catalogue name",
        "\n".join(f"#{name}" for name in TagName),
        [(name.value, "") for name in TagName],
    ),
]


@pytest.mark.parametrize(
    ("content", "expected"), [case[1:] for case in EDGE_CASES], ids=[case[0] for case in EDGE_CASES]
)
def test_edge_cases(content: str, expected: Pairs) -> None:
    assert pairs(content) == expected


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", False),
        ("plain text", False),
        ("a #status b", False),
        ("#Status x", False),
        ("x\n #close", True),
        ("#due", True),
        ("#status Done #foo", True),
    ],
)
def test_has_tag_lines(content: str, expected: bool) -> None:
    assert has_tag_lines(content) is expected
    assert has_tag_lines(content) == bool(parse_tags(content))


def test_parsed_tag_is_frozen() -> None:
    tag = ParsedTag("status", "Done")
    with pytest.raises(AttributeError):
        tag.value = "x"  # type: ignore[misc]


# --- plan_commands ----------------------------------------------------------------------------


def plan(content: str) -> list[PlannedTag]:
    return plan_commands(parse_tags(content))


def failure(name: str, value: str, code: TagFailureCode) -> PlannedFailure:
    return PlannedFailure(name, value, code)


PLAN_CASES: list[tuple[str, list[PlannedTag]]] = [
    (
        "#status Done #foo bar",
        [
            PlannedCommand(TagName.STATUS, "Done"),
            failure("foo", "bar", TagFailureCode.UNKNOWN_TAG),
        ],
    ),
    ("#close foo", [failure("close", "foo", TagFailureCode.VALUE_NOT_ALLOWED)]),
    ("#reopen now", [failure("reopen", "now", TagFailureCode.VALUE_NOT_ALLOWED)]),
    ("#delete it", [failure("delete", "it", TagFailureCode.VALUE_NOT_ALLOWED)]),
    ("#status", [failure("status", "", TagFailureCode.VALUE_REQUIRED)]),
    (
        "#task #priority",
        [
            failure("task", "", TagFailureCode.VALUE_REQUIRED),
            failure("priority", "", TagFailureCode.VALUE_REQUIRED),
        ],
    ),
    ("#assignee", [PlannedCommand(TagName.ASSIGNEE, "")]),
    ("#due", [PlannedCommand(TagName.DUE, "")]),
    ("#description", [PlannedCommand(TagName.DESCRIPTION, "")]),
    (
        "#close #reopen #delete",
        [
            PlannedCommand(TagName.CLOSE, ""),
            PlannedCommand(TagName.REOPEN, ""),
            PlannedCommand(TagName.DELETE, ""),
        ],
    ),
    # Lengths are the executor's check (E8 puts *_TOO_LONG after FORBIDDEN etc.).
    ("#title " + "x" * 201, [PlannedCommand(TagName.TITLE, "x" * 201)]),
    ("#description " + "y" * 5001, [PlannedCommand(TagName.DESCRIPTION, "y" * 5001)]),
]


@pytest.mark.parametrize(("content", "expected"), PLAN_CASES)
def test_plan_commands(content: str, expected: list[PlannedTag]) -> None:
    assert plan(content) == expected


@pytest.mark.parametrize(
    ("name", "policy"),
    [(name, ValuePolicy.REQUIRED) for name in ("task", "bug", "epic", "status", "priority")]
    + [(name, ValuePolicy.REQUIRED) for name in ("title", "severity", "invite", "remove")]
    + [(name, ValuePolicy.OPTIONAL) for name in ("assignee", "due", "description")]
    + [(name, ValuePolicy.NONE) for name in ("close", "reopen", "delete")],
)
def test_value_policy_checks(name: str, policy: ValuePolicy) -> None:
    assert TAG_CATALOGUE[TagName(name)].value_policy is policy
    empty, filled = plan(f"#{name}"), plan(f"#{name} v")
    required = TagFailureCode.VALUE_REQUIRED
    not_allowed = TagFailureCode.VALUE_NOT_ALLOWED
    ok_empty, ok_filled = PlannedCommand(TagName(name), ""), PlannedCommand(TagName(name), "v")
    assert empty == [failure(name, "", required) if policy is ValuePolicy.REQUIRED else ok_empty]
    assert filled == [failure(name, "v", not_allowed) if policy is ValuePolicy.NONE else ok_filled]


def test_too_many_tags_for_each_tag_past_the_20th() -> None:
    content = "#title t\n" * 20 + "#status Done #foo x\n#close nope"
    planned = plan(content)
    assert len(planned) == 23
    assert planned[:20] == [PlannedCommand(TagName.TITLE, "t")] * MAX_TAGS_PER_MESSAGE
    assert planned[20:] == [
        failure("status", "Done", TagFailureCode.TOO_MANY_TAGS),
        failure("foo", "x", TagFailureCode.TOO_MANY_TAGS),
        failure("close", "nope", TagFailureCode.TOO_MANY_TAGS),
    ]


def test_unknown_tags_count_towards_the_limit() -> None:
    planned = plan("#close" + " #foo" * 19 + " #close")
    assert isinstance(planned[19], PlannedFailure)
    assert planned[19].code is TagFailureCode.UNKNOWN_TAG
    assert planned[20] == failure("close", "", TagFailureCode.TOO_MANY_TAGS)


def test_planned_command_exposes_name_and_spec() -> None:
    command = PlannedCommand(TagName.DUE, "2026-03-01")
    assert command.name == "due"
    assert command.spec is TAG_CATALOGUE[TagName.DUE]


# --- catalogue --------------------------------------------------------------------------------


def test_catalogue_covers_every_tag_name() -> None:
    assert set(TAG_CATALOGUE) == set(TagName)
    assert [str(name) for name in TagName] == [
        "task", "bug", "epic", "status", "assignee", "priority", "due", "title",
        "severity", "description", "invite", "remove", "close", "reopen", "delete",
    ]  # fmt: skip
    assert all(spec.name is name for name, spec in TAG_CATALOGUE.items())


def test_work_item_and_converting_tags() -> None:
    assert {str(name) for name in WORK_ITEM_TAGS} == {
        "status", "assignee", "priority", "due", "severity", "description", "close", "reopen",
    }  # fmt: skip
    assert {str(name) for name in CONVERTING_TAGS} == {"task", "bug", "epic"}


def test_length_limits() -> None:
    limits = {name: spec.max_length for name, spec in TAG_CATALOGUE.items() if spec.max_length}
    assert limits == {
        TagName.TASK: 200,
        TagName.BUG: 200,
        TagName.EPIC: 200,
        TagName.TITLE: 200,
        TagName.DESCRIPTION: 5000,
    }
    assert TAG_CATALOGUE[TagName.TITLE].too_long_code is TagFailureCode.TITLE_TOO_LONG
    assert TAG_CATALOGUE[TagName.TASK].too_long_code is TagFailureCode.TITLE_TOO_LONG
    description = TAG_CATALOGUE[TagName.DESCRIPTION]
    assert description.too_long_code is TagFailureCode.DESCRIPTION_TOO_LONG


def test_permissions() -> None:
    manage = {name for name, spec in TAG_CATALOGUE.items() if spec.permission is Permission.MANAGE}
    assert {str(name) for name in manage} == {"task", "bug", "epic", "invite", "remove", "delete"}
    title, remove = TAG_CATALOGUE[TagName.TITLE], TAG_CATALOGUE[TagName.REMOVE]
    assert required_permission(title, on_discussion=False) is Permission.WRITE
    assert required_permission(title, on_discussion=True) is Permission.MANAGE
    assert required_permission(remove, on_discussion=False) is Permission.MANAGE
    assert required_permission(remove, on_discussion=True, targets_self=True) is Permission.WRITE
    status = TAG_CATALOGUE[TagName.STATUS]
    assert required_permission(status, on_discussion=True, targets_self=True) is Permission.WRITE


# --- properties -------------------------------------------------------------------------------

_NEXT_TAG = re.compile(r" #[a-z]")
_TRICKY = st.sampled_from([" ", "\t", "#", "a", "Z", "1", "@", "\r", "\n", "é", "\u00a0"])
_TEXT_CHARS = st.one_of(_TRICKY, st.characters())


@settings(database=None, max_examples=300)
@given(
    st.one_of(
        st.text(_TEXT_CHARS),
        st.lists(st.sampled_from([f"#{n}" for n in TagName] + [" ", "\n", "x", "#F", "\t"])).map(
            "".join
        ),
    )
)
def test_parse_tags_never_raises_and_keeps_invariants(content: str) -> None:
    tags = parse_tags(content)
    assert has_tag_lines(content) == bool(tags)
    for tag in tags:
        assert tag.name
        assert tag.value == tag.value.strip(" \t")
        assert "\n" not in tag.value
        assert _NEXT_TAG.search(tag.value) is None
    assert len(plan_commands(tags)) == len(tags)


def _clean_value(raw: str) -> str:
    # No newline, already trimmed, and no ` #[a-z]` once written after `#name `.
    value = raw.replace("\n", "").replace("\r", "").strip(" \t")
    return _NEXT_TAG.sub(" #0", " " + value)[1:]


_VALUE_CHUNKS = st.sampled_from(["x", " ", "\t", "#", "#1", "#B", "\t#a", "x#y", "@bob", "é"])
_VALUES = st.one_of(
    st.text(_TEXT_CHARS, max_size=30), st.lists(_VALUE_CHUNKS, max_size=8).map("".join)
).map(_clean_value)
_TAGS = st.tuples(st.sampled_from([str(name) for name in TagName]), _VALUES)
_BLANK_RUN = st.text(st.sampled_from(" \t"), max_size=3)
_TEXT_LINES = st.text(st.characters(exclude_characters="\n")).filter(
    lambda line: not line.strip(" \t").startswith("#")
) | st.sampled_from(["#Status Done", "#general is great", "I wrote docs #status Done", "x#y", ""])


@st.composite
def tag_line(draw: st.DrawFn, tags: list[tuple[str, str]]) -> str:
    line = draw(_BLANK_RUN)
    for index, (name, value) in enumerate(tags):
        if index:
            line += draw(_BLANK_RUN) + " "  # G5: the separator ends with a space
        line += f"#{name}"
        if value:
            line += draw(st.text(st.sampled_from(" \t"), min_size=1, max_size=3)) + value
    return line + draw(_BLANK_RUN)


@st.composite
def rendered_message(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]]]:
    groups = draw(st.lists(st.lists(_TAGS, min_size=1, max_size=4), max_size=6))
    lines: list[str] = []
    for group in groups:
        lines.extend(draw(st.lists(_TEXT_LINES, max_size=2)))
        lines.append(draw(tag_line(group)))
    lines.extend(draw(st.lists(_TEXT_LINES, max_size=2)))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines), [tag for group in groups for tag in group]


@settings(database=None, max_examples=300)
@given(rendered_message())
def test_round_trip(message: tuple[str, list[tuple[str, str]]]) -> None:
    content, expected = message
    assert pairs(content) == expected


def test_message_of_10000_chars() -> None:
    content = ("#status Done #priority High x#y #123\n" + "plain text line #status\n") * 164
    content = content[:10_000]
    assert len(content) == 10_000
    assert len(parse_tags(content)) == 328

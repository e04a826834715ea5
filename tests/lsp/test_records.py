"""Records and dicts through the real server (LANGUAGE.md §6.1): record fields completed
inside a record literal, dict keys after `d["`, signature help inside a literal and around
it, and inlay hints naming a literal's record and the defaults it leaves out."""

from __future__ import annotations

import pytest
from lsprotocol import types

from conftest import Session, capability

pytestmark = pytest.mark.asyncio

PROGRAM = (
    "/// How to split a table.\n"
    "record Split {\n"
    "  test_size: float = 0.2,\n"
    "  seed: int = 7,\n"
    "  rows: int,\n"
    "}\n"
    "op split(rows: int, opts: Split, w: dict<float> = {}) -> (n: int) {\n"
    "  python def \"\"\"\n"
    "    return rows\n"
    "  \"\"\"\n"
    "}\n"
    "op use(x: float) {\n"
    "  shell \"\"\"\n"
    "    echo ${x}\n"
    "  \"\"\"\n"
    "}\n"
    "pipeline p(w: dict<float> = {\"low\": 0.1, \"high\": 1.0}) {\n"
    "  step s = split(rows: 1, opts: {rows: 3, test_size: 0.5})\n"
    "  step u = use(x: w[\"low\"])\n"
    "}\n"
)


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def open_clean(session: Session, name: str, text: str = PROGRAM) -> str:
    uri, _ = session.open(name, text)
    assert await session.diagnostics(uri) == []
    return uri


async def test_record_fields_inside_a_literal(session: Session):
    uri = await open_clean(session, "fields.mlf")
    # Right after `{rows: 3, `: the fields not given first, with their types and defaults.
    at = session.position(PROGRAM, "test_size: 0.5")
    result = await session.client.text_document_completion_async(
        types.CompletionParams(text_document=doc(uri), position=at)
    )
    items = sorted(result.items, key=lambda i: i.sort_text or i.label)
    assert [i.label for i in items] == ["seed", "test_size", "rows"], [i.label for i in items]
    assert all(i.kind == types.CompletionItemKind.Field for i in items)
    assert items[0].detail == "seed: int = 7"
    assert "already given" in items[2].detail
    new_text = items[0].text_edit.new_text if items[0].text_edit else items[0].insert_text
    if capability(session, "text_document.completion.completion_item.snippet_support"):
        assert new_text == "seed: $0"
    else:
        assert new_text == "seed: "


async def test_dict_keys_inside_the_string(session: Session):
    uri = await open_clean(session, "keys.mlf")
    # Inside `w["low"]`, after `l`: the keys, replacing the string's text only.
    at = session.position(PROGRAM, 'w["low"]', 4)
    result = await session.client.text_document_completion_async(
        types.CompletionParams(text_document=doc(uri), position=at)
    )
    items = {i.label: i for i in result.items}
    assert set(items) == {"low", "high"}, list(items)
    assert items["high"].kind == types.CompletionItemKind.Value
    assert items["high"].detail == "1.0"
    edit = items["high"].text_edit
    assert edit.new_text == "high"
    start = session.position(PROGRAM, 'w["low"]', 3)
    end = session.position(PROGRAM, 'w["low"]', 6)
    rng = edit.range if isinstance(edit, types.TextEdit) else edit.replace
    assert (rng.start, rng.end) == (start, end)


def active_label(help: types.SignatureHelp) -> str:
    signature = help.signatures[help.active_signature or 0]
    active = help.active_parameter
    if active is None:
        active = signature.active_parameter
    label = signature.parameters[active].label
    if isinstance(label, str):
        return label
    # Offsets into the label; the labels here are ASCII, where every encoding's units agree.
    assert signature.label.isascii()
    return signature.label[label[0] : label[1]]


async def test_signature_help_inside_a_record_literal_and_around_it(session: Session):
    uri = await open_clean(session, "signature.mlf")
    inside = session.position(PROGRAM, "0.5})")
    help = await session.client.text_document_signature_help_async(
        types.SignatureHelpParams(text_document=doc(uri), position=inside)
    )
    assert help is not None
    label = help.signatures[0].label
    assert label == "Split { test_size: float = 0.2, seed: int = 7, rows: int }", label
    assert [p.label for p in help.signatures[0].parameters]  # one per field
    assert active_label(help) == "test_size: float = 0.2"
    # After the literal, the call's own signature, with the record type readable.
    text = PROGRAM.replace("test_size: 0.5})", "test_size: 0.5}, w: {})")
    uri2 = await open_clean(session, "around.mlf", text)
    after = session.position(text, "w: {})", 1)
    help = await session.client.text_document_signature_help_async(
        types.SignatureHelpParams(text_document=doc(uri2), position=after)
    )
    assert help is not None
    assert help.signatures[0].label.startswith("split(rows: int, opts: Split,")
    # The record-typed param has the record's fields beside it.
    opts = help.signatures[0].parameters[1].documentation
    assert opts == "Split { test_size: float = 0.2, seed: int = 7, rows: int }", opts
    assert active_label(help) == "w: dict<float> = {}"


async def test_inlay_hints_on_a_record_literal(session: Session):
    if capability(session, "text_document.inlay_hint") is None:
        return
    uri = await open_clean(session, "hints.mlf")
    lines = PROGRAM.count("\n")
    hints = await session.client.text_document_inlay_hint_async(
        types.InlayHintParams(
            text_document=doc(uri),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=lines, character=0)),
        )
    )
    by_label = {h.label: h for h in hints}
    assert by_label["Split"].position == session.position(PROGRAM, "{rows: 3")
    assert by_label["Split"].padding_right is True
    assert by_label[", seed: 7"].position == session.position(PROGRAM, "0.5})", 3)
    assert by_label[", seed: 7"].kind == types.InlayHintKind.Parameter
    # The existing hint after a step's name is still there.
    assert ": (n: int)" in by_label


async def test_hover_on_a_field_of_a_record_literal(session: Session):
    uri = await open_clean(session, "hover.mlf")
    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=doc(uri), position=session.position(PROGRAM, "test_size: 0.5", 2))
    )
    assert hover is not None
    assert "test_size: float = 0.2" in hover.contents.value
    assert "field of Split" in hover.contents.value

"""The op library (`import "std/NAME"`) in the editor, through the real server, once per
recorded client: module names completed inside `import "std/`, go to definition into the
read-only document `mlforge-std:/NAME.mlf`, the custom request `mlforge/stdSource` that gives
its text, hover and signature help on std ops, and never a diagnostic for a std source.

The expected texts are the module files of the repository (`crates/stdlib/std/`), which the
binary embeds: a stale binary fails here.
"""

from __future__ import annotations

import re

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from conftest import ROOT, Session


STD = ROOT / "crates" / "stdlib" / "std"
MODULES = sorted(p.stem for p in STD.glob("*.mlf"))


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


def std_uri(name: str) -> str:
    return f"mlforge-std:/{name}.mlf"


def source(name: str) -> str:
    return (STD / f"{name}.mlf").read_text()


def summary(text: str) -> str | None:
    """The first line of a module's leading `//` comment (what completion shows as detail)."""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("///"):
            return None
        if line.startswith("//"):
            rest = line[2:].removeprefix("!").strip()
            if rest:
                return rest
            continue
        if line:
            return None
    return None


def first_op(text: str) -> tuple[str, list[str]]:
    """The first op of a module and the lines of its `///` doc comment."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"op (\w+)\s*\(", line)
        if m:
            docs = []
            j = i - 1
            while j >= 0 and lines[j].strip().startswith("///"):
                docs.insert(0, lines[j].strip()[3:].strip())
                j -= 1
            return m.group(1), docs
    raise AssertionError("a std module without an op")


def field(value, name: str):
    if isinstance(value, dict):
        return value[name]
    return getattr(value, name)


async def std_source(session: Session, uri: str) -> str:
    answer = await session.client.protocol.send_request_async("mlforge/stdSource", {"uri": uri})
    return field(answer, "text")


def locations(result) -> list[types.Location]:
    if result is None:
        return []
    return result if isinstance(result, list) else [result]


def text_at(text: str, r: types.Range, session: Session) -> str:
    """The text of a range (positions in the session's encoding; std sources are ASCII)."""
    lines = text.split("\n")
    assert r.start.line == r.end.line
    return lines[r.start.line][r.start.character : r.end.character]


def test_the_library_has_its_modules():
    assert {"io", "data", "sklearn", "xgboost", "eval", "mlflow"} <= set(MODULES)


async def test_completion_of_std_module_names_in_an_import(session: Session):
    uri, text = session.open("imports.mlf", 'import "std/"\n')
    result = await session.client.text_document_completion_async(
        types.CompletionParams(text_document=doc(uri), position=session.position(text, 'std/"', 4))
    )
    items = {i.label: i for i in result.items}
    assert sorted(items) == MODULES
    for name, item in items.items():
        assert item.kind == types.CompletionItemKind.Module
        assert item.detail == summary(source(name)), name
        assert item.detail, f"std/{name} has no summary line"
        edit = item.text_edit
        assert edit.new_text == name
        assert edit.range.start == session.position(text, 'std/"', 4)

    # At the start of the path: the library's folder beside this folder's own files.
    result = await session.client.text_document_completion_async(
        types.CompletionParams(text_document=doc(uri), position=session.position(text, 'std/"'))
    )
    labels = {i.label for i in result.items}
    assert "std/" in labels
    assert {"quickstart.mlf", "compose.mlf", "wine/"} <= labels
    assert "imports.mlf" not in labels, "a file does not import itself"


async def test_std_source_request_gives_each_module_and_errors_otherwise(session: Session):
    for name in MODULES:
        assert await std_source(session, std_uri(name)) == source(name)
    assert await std_source(session, "mlforge-std:///io.mlf") == source("io")
    for bad in ["mlforge-std:/nope.mlf", "mlforge-std:/std/io.mlf", session.uri("quickstart.mlf")]:
        with pytest.raises(JsonRpcException) as refused:
            await std_source(session, bad)
        assert refused.value.code == -32602, bad
    for params in [{}, {"uri": 5}, {"uri": "not a uri"}, None]:
        with pytest.raises(JsonRpcException) as refused:
            await session.client.protocol.send_request_async("mlforge/stdSource", params)
        assert refused.value.code == -32602, params
    # The server lives on.
    assert await std_source(session, std_uri("io")) == source("io")


async def test_definition_hover_and_signature_help_of_a_std_op(session: Session):
    io = source("io")
    op, op_docs = first_op(io)
    text = f'import "std/io"\n\npipeline p() {{\n  step s = io.{op}(\n}}\n'
    uri, _ = session.open("uses_std.mlf", text)

    # The import's path leads to the module's start.
    [target] = locations(
        await session.client.text_document_definition_async(
            types.DefinitionParams(text_document=doc(uri), position=session.position(text, "std/io", 2))
        )
    )
    assert target.uri == std_uri("io")
    assert target.range.start == types.Position(line=0, character=0)

    # The op's name leads to its declaration in the module.
    [target] = locations(
        await session.client.text_document_definition_async(
            types.DefinitionParams(text_document=doc(uri), position=session.position(text, f"io.{op}", 4))
        )
    )
    assert target.uri == std_uri("io")
    shown = await std_source(session, target.uri)
    assert text_at(shown, target.range, session) == op
    assert shown.split("\n")[target.range.start.line].startswith(f"op {op}")

    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=doc(uri), position=session.position(text, f"io.{op}", 4))
    )
    assert hover is not None
    assert op in hover.contents.value
    assert op_docs and op_docs[0] in hover.contents.value

    help = await session.client.text_document_signature_help_async(
        types.SignatureHelpParams(text_document=doc(uri), position=session.position(text, f"{op}(", len(op) + 1))
    )
    assert help is not None and help.signatures
    assert op in help.signatures[0].label

    # Completion after the namespace lists the module's ops.
    at = session.position(text, f"io.{op}", 3)
    result = await session.client.text_document_completion_async(
        types.CompletionParams(text_document=doc(uri), position=at)
    )
    ops = set(re.findall(r"^op (\w+)", io, re.M))
    assert ops <= {i.label for i in result.items}


async def test_a_std_document_opened_gets_no_diagnostics_and_keeps_the_library_text(session: Session):
    io = source("io")
    op, _ = first_op(io)
    std = std_uri("io")
    # Whatever text the client sends, the server keeps the library's.
    session.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=std, language_id="mlforge", version=1, text="op ((( broken")
        )
    )
    session.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=std, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="pipeline {{{")],
        )
    )
    # A std URI naming no module is ignored, not an error and not a file.
    session.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=std_uri("nope"), language_id="mlforge", version=1, text="op (")
        )
    )
    symbols = await session.client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc(std))
    )
    assert op in {s.name for s in symbols}
    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=doc(std), position=session.position(io, f"op {op}", 3))
    )
    assert hover is not None and op in hover.contents.value

    # A document opened after them gets its diagnostics; the std ones never get any.
    uri, _ = session.open("after_std.mlf", 'import "std/io"\n\npipeline p() {\n  step s = nope()\n}\n')
    codes = [d.code for d in await session.diagnostics(uri)]
    assert "E0203" in codes, codes
    assert std not in session.client.diagnostics
    assert std_uri("nope") not in session.client.diagnostics

    session.client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=doc(std)))
    # Still served after the close (from the library, not from a buffer).
    assert await std_source(session, std) == io
    assert std not in session.client.diagnostics


async def test_the_op_catalog_offers_std_ops_and_a_graph_edit_imports_them(session: Session):
    from test_graph_edit import Doc, catalog_import

    op, _ = first_op(source("io"))
    text = "pipeline p() {}\n"
    uri, _ = session.open("palette.mlf", text)
    await session.diagnostics(uri)
    catalog = await session.client.protocol.send_request_async("mlforge/opCatalog", {"uri": uri})
    ops = {field(o, "name"): o for o in field(catalog, "ops")}
    for name in MODULES:
        for std_op in re.findall(r"^op (\w+)", source(name), re.M):
            entry = ops[f"{name}.{std_op}"]
            assert catalog_import(entry) == f"std/{name}"
            assert field(entry, "file") == std_uri(name)
    doc = Doc(session, uri, text)
    await doc.edit({"kind": "addStep", "op": f"io.{op}", "name": "s", "import": "std/io"}, pipeline="p")
    assert doc.text.startswith('import "std/io"\n')
    assert f"step s = io.{op}(" in doc.text

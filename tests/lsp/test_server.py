"""`mlforge lsp` end to end, through pytest-lsp, once per recorded client (see conftest.py).

Every test also checks that the server respected what the client declared: snippets only to
clients with snippet support, hover in a format the client reads, related information and
code descriptions only when supported, positions in the negotiated encoding, semantic token
types the client knows, a file watcher registered only where dynamic registration is
offered.
"""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from conftest import Session, capability

pytestmark = pytest.mark.asyncio


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def test_initialize_negotiates_encoding_and_capabilities(session: Session):
    offered = capability(session, "general.position_encodings") or []
    offered = [str(getattr(e, "value", e)) for e in offered]
    expected = "utf-8" if "utf-8" in offered else "utf-16"
    assert session.encoding == expected
    server = session.server
    assert server is not None
    assert server.text_document_sync.change == types.TextDocumentSyncKind.Incremental
    assert server.completion_provider is not None
    assert server.semantic_tokens_provider is not None
    legend = server.semantic_tokens_provider.legend
    client_types = capability(session, "text_document.semantic_tokens.token_types")
    if client_types:
        known = {str(getattr(t, "value", t)) for t in client_types}
        assert set(legend.token_types) <= known, (legend.token_types, known)
    assert len(set(legend.token_types)) == len(legend.token_types)


async def test_file_watcher_registered_only_when_offered(session: Session):
    dynamic = capability(
        session, "workspace.did_change_watched_files.dynamic_registration", False
    )
    for _ in range(50):
        if session.registrations:
            break
        await asyncio.sleep(0.02)
    if dynamic:
        assert session.registrations, "a watcher for **/*.mlf"
        reg = session.registrations[0].registrations[0]
        assert reg.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        assert reg.register_options["watchers"][0]["globPattern"] == "**/*.mlf"
    else:
        assert not session.registrations


async def test_diagnostics_with_code_range_and_declared_extras(session: Session):
    uri, text = session.open("errors/E0401/bad.mlf")
    diagnostics = await session.diagnostics(uri)
    assert [d.code for d in diagnostics] == ["E0401"]
    d = diagnostics[0]
    assert d.severity == types.DiagnosticSeverity.Error
    assert d.range.start == session.position(text, '"0.5"')
    assert d.range.end == session.position(text, '"0.5"', 5)
    assert d.data["code"] == "E0401"
    if capability(session, "text_document.publish_diagnostics.related_information"):
        assert d.related_information
        assert d.related_information[0].location.uri == uri
    else:
        assert d.related_information is None
    if capability(session, "text_document.publish_diagnostics.code_description_support"):
        assert d.code_description.href == "https://mlforge.dev/explain/E0401"
    else:
        assert d.code_description is None


async def test_edit_breaks_then_repairs(session: Session):
    uri, text = session.open("errors/E0401/fixed.mlf")
    assert await session.diagnostics(uri) == []
    start = session.position(text, "train(data")
    end = types.Position(line=start.line, character=start.character + 5)

    async def change(version: int, new: str) -> list[types.Diagnostic]:
        session.client.diagnostics.pop(uri, None)
        session.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=start, end=end), text=new
                    )
                ],
            )
        )
        return await session.diagnostics(uri)

    broken = await change(2, "trian")
    assert "E0203" in [d.code for d in broken]
    assert await change(3, "train") == []


async def test_completion_after_step_dot_and_snippets_per_client(session: Session):
    uri, text = session.open("quickstart.mlf")
    position = session.position(text, "data.table", 5)
    result = await session.client.text_document_completion_async(
        types.CompletionParams(text_document=doc(uri), position=position)
    )
    labels = [i.label for i in result.items]
    assert "table" in labels

    # At the top level: keywords, and item snippets only for clients that take them.
    uri2, _ = session.open("new.mlf", "\n")
    result = await session.client.text_document_completion_async(
        types.CompletionParams(text_document=doc(uri2), position=types.Position(line=0, character=0))
    )
    assert result.items
    snippets = capability(session, "text_document.completion.completion_item.snippet_support")
    formats = {i.insert_text_format for i in result.items}
    if snippets:
        assert types.InsertTextFormat.Snippet in formats
    else:
        assert types.InsertTextFormat.Snippet not in formats
        for item in result.items:
            edit = item.text_edit
            assert edit is None or ("${" not in edit.new_text and "$0" not in edit.new_text)


async def test_completion_and_hover_of_second_edition_attributes(session: Session):
    text = (
        "op f(x: int) -> (y: int) {\n"
        "  uses = [\"helpers.py\"]\n"
        "  \n"
        "  python def \"\"\"\n"
        "    return x\n"
        "  \"\"\"\n"
        "}\n"
    )
    uri, _ = session.open("second.mlf", text)
    result = await session.client.text_document_completion_async(
        types.CompletionParams(text_document=doc(uri), position=types.Position(line=2, character=2))
    )
    labels = {i.label for i in result.items}
    assert {"requires", "interpreter", "env", "cache"} <= labels, labels
    assert "uses" not in labels, "an attribute already set is not offered again"
    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=doc(uri), position=session.position(text, "uses", 1))
    )
    assert hover is not None
    assert "cache key" in hover.contents.value


async def test_hover_in_a_declared_format(session: Session):
    uri, text = session.open("quickstart.mlf")
    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=doc(uri), position=session.position(text, "make_data(rows", 2))
    )
    assert hover is not None
    assert "make_data" in hover.contents.value
    formats = capability(session, "text_document.hover.content_format") or [types.MarkupKind.PlainText]
    assert hover.contents.kind in formats


async def test_definition_across_files(session: Session):
    uri, text = session.open("compose.mlf")
    result = await session.client.text_document_definition_async(
        types.DefinitionParams(text_document=doc(uri), position=session.position(text, "ml.train(", 4))
    )
    locations = result if isinstance(result, list) else [result]
    assert locations[0].uri == session.uri("wine/ops.mlf")
    assert locations[0].range.start.line == 23


async def test_references_and_rename(session: Session):
    uri, text = session.open("wine/ops.mlf")
    position = session.position(text, "op train", 3)
    refs = await session.client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(uri),
            position=position,
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    uris = {r.uri for r in refs}
    assert {uri, session.uri("compose.mlf"), session.uri("wine/pipeline.mlf")} <= uris
    edit = await session.client.text_document_rename_async(
        types.RenameParams(text_document=doc(uri), position=position, new_name="fit_model")
    )
    assert edit is not None
    assert uri in edit.changes and session.uri("compose.mlf") in edit.changes
    assert all(e.new_text == "fit_model" for edits in edit.changes.values() for e in edits)


async def test_document_symbols(session: Session):
    uri, _ = session.open("quickstart.mlf")
    symbols = await session.client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc(uri))
    )
    hierarchical = capability(
        session, "text_document.document_symbol.hierarchical_document_symbol_support"
    )
    if hierarchical:
        assert all(isinstance(s, types.DocumentSymbol) for s in symbols)
        pipeline = next(s for s in symbols if s.name == "quickstart")
        assert pipeline.children
    else:
        assert all(isinstance(s, types.SymbolInformation) for s in symbols)


async def test_semantic_tokens_when_supported(session: Session):
    if capability(session, "text_document.semantic_tokens") is None:
        pytest.skip("the client does not take semantic tokens")
    uri, text = session.open("quickstart.mlf")
    tokens = await session.client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=doc(uri))
    )
    assert tokens.data and len(tokens.data) % 5 == 0
    legend = session.server.semantic_tokens_provider.legend
    kinds = {legend.token_types[t] for t in tokens.data[3::5]}
    assert {"keyword", "function", "variable"} <= kinds
    # No token crosses a line (not every client takes multi-line tokens).
    lines = text.split("\n")
    line = col = 0
    for i in range(0, len(tokens.data), 5):
        dl, dc, length = tokens.data[i : i + 3]
        line += dl
        col = dc if dl else col + dc
        assert col + length <= session.units(lines[line]) , (line, col, length)


async def test_formatting(session: Session):
    messy = 'op  a() -> (x: int) {\n    shell """echo 1 > ${x}"""\n}\n'
    uri, _ = session.open("messy.mlf", messy)
    edits = await session.client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=doc(uri), options=types.FormattingOptions(tab_size=2, insert_spaces=True)
        )
    )
    assert edits
    uri2, _ = session.open("broken.mlf", "op a( {\n")
    with pytest.raises(Exception) as error:
        await session.client.text_document_formatting_async(
            types.DocumentFormattingParams(
                text_document=doc(uri2), options=types.FormattingOptions(tab_size=2, insert_spaces=True)
            )
        )
    assert "syntax error" in str(error.value)


async def test_code_actions(session: Session):
    uri, _ = session.open("errors/E0203/bad.mlf")
    diagnostics = await session.diagnostics(uri)
    d = next(d for d in diagnostics if d.code == "E0203")
    actions = await session.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc(uri), range=d.range, context=types.CodeActionContext(diagnostics=[d])
        )
    )
    assert actions
    for action in actions:
        assert isinstance(action, types.CodeAction)
        assert action.edit is not None


async def test_code_lens(session: Session):
    uri, _ = session.open("quickstart.mlf")
    lenses = await session.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=doc(uri))
    )
    commands = {lens.command.command for lens in lenses}
    assert {"mlforge.run", "mlforge.plan", "mlforge.showGraph", "mlforge.runStep"} <= commands


async def test_graph_request_and_notification(session: Session):
    uri, text = session.open("quickstart.mlf")
    await session.diagnostics(uri)

    async def graph_changed() -> None:
        for _ in range(250):
            if session.graph_changed:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("no mlforge/graphChanged")

    # Sent once the analysis of the opened document is done (the graph is new).
    await graph_changed()
    assert session.graph_changed[0].uri == uri
    # pygls hands back a result of a method it does not know as nested namedtuples.
    answer = await session.client.protocol.send_request_async("mlforge/graph", {"uri": uri})
    assert answer.pipeline == "quickstart"
    assert answer.stale is False
    assert answer.dot.startswith("digraph")
    ids = {n.id for n in answer.graph.nodes}
    assert {"data", "parts", "best", "release"} <= ids
    # A range is [start_line, start_column, end_line, end_column, start_offset, end_offset].
    assert all(n.range[0] >= 1 and len(n.range) == 6 for n in answer.graph.nodes)

    # An edit that changes the graph (a new step) is announced again.
    session.graph_changed.clear()
    at = session.position(text, "step parts")
    session.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=at, end=at), text="step more = make_data()\n  "
                )
            ],
        )
    )
    await graph_changed()
    answer = await session.client.protocol.send_request_async("mlforge/graph", {"uri": uri})
    assert "more" in {n.id for n in answer.graph.nodes}


async def test_graph_focus_and_totals(session: Session):
    uri, text = session.open("quickstart.mlf")
    await session.diagnostics(uri)
    whole = await session.client.protocol.send_request_async(
        "mlforge/graph", {"uri": uri, "dot": False}
    )
    assert whole.focus is None
    assert whole.total.nodes == len(whole.graph.nodes)
    assert whole.total.edges == len(whole.graph.edges)
    assert whole.total.clusters == len(whole.graph.clusters)
    # The cursor on `step best`, in the client's position encoding; one hop each way.
    at = session.position(text, "step best", delta=3)
    answer = await session.client.protocol.send_request_async(
        "mlforge/graph",
        {"uri": uri, "focus": {"position": {"line": at.line, "character": at.character}, "hops": 1}},
    )
    assert answer.focus == "best"
    assert {n.id for n in answer.graph.nodes} == {"best", "check", "fitted", "release"}
    fitted = next(n for n in answer.graph.nodes if n.id == "fitted")
    assert fitted.hidden_up == 1  # `parts`, two hops up
    assert {c.id for c in answer.graph.clusters} == {"for#1", "if#1"}
    assert answer.total == whole.total
    assert answer.dot.startswith("digraph") and '"parts"' not in answer.dot


async def test_bad_positions_get_errors_and_the_server_lives_on(session: Session):
    uri, text = session.open("quickstart.mlf")
    with pytest.raises(Exception):
        await session.client.text_document_hover_async(
            types.HoverParams(text_document=doc(uri), position=types.Position(line=10_000, character=0))
        )
    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=doc(uri), position=session.position(text, "make_data(rows", 2))
    )
    assert hover is not None


async def test_unicode_before_the_cursor(session: Session):
    text = (
        'op make(x: int) -> (out: int) {\n  shell """echo ${x} > ${out}"""\n}\n\n'
        "pipeline p() {\n  step a = make(x: 1)\n"
        "  step b = make(x: 2) /* 🦀 é e\u0301 汉 */ after a\n}\n"
    )
    uri, _ = session.open("unicode.mlf", text)
    at = session.position(text, " a\n", 1)
    result = await session.client.text_document_definition_async(
        types.DefinitionParams(text_document=doc(uri), position=at)
    )
    locations = result if isinstance(result, list) else [result]
    assert locations[0].range.start == session.position(text, "a = make")


async def test_records_through_the_server(session: Session):
    """The second edition's records: `record` is a keyword token, a record param's fields are
    completed after `.`, and hover on the param shows its record type."""
    text = (
        "record Opts {\n"
        "  size: float,\n"
        "  tags: list<string> = [],\n"
        "}\n"
        "op use(x: float) {\n"
        "  shell \"\"\"\n"
        "    echo ${x}\n"
        "  \"\"\"\n"
        "}\n"
        "pipeline p(opts: Opts) {\n"
        "  step u = use(x: opts.size)\n"
        "}\n"
    )
    uri, _ = session.open("records.mlf", text)
    assert await session.diagnostics(uri) == []
    result = await session.client.text_document_completion_async(
        types.CompletionParams(
            text_document=doc(uri), position=session.position(text, "opts.size", 5)
        )
    )
    items = {i.label: i for i in result.items}
    assert {"size", "tags"} <= set(items), list(items)
    assert items["size"].kind == types.CompletionItemKind.Field
    assert items["tags"].detail == "list<string>"
    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=doc(uri), position=session.position(text, "opts: Opts", 1))
    )
    assert hover is not None and "Opts" in hover.contents.value
    if capability(session, "text_document.semantic_tokens") is None:
        return
    tokens = await session.client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=doc(uri))
    )
    legend = session.server.semantic_tokens_provider.legend
    # The first token is `record` at the start of the file.
    assert list(tokens.data[0:3]) == [0, 0, len("record")], tokens.data[:5]
    assert legend.token_types[tokens.data[3]] == "keyword"


async def test_export_lens_writes_the_dag_beside_the_file(session: Session):
    """The "Export to Airflow" lens runs `mlforge.export` in the server, which compiles the
    open document (unsaved text included) and writes the DAG and its runtime beside it."""
    import ast

    text = (session.root / "quickstart.mlf").read_text()
    uri, _ = session.open("quickstart.mlf", text.replace("rows: 300", "rows: 301"))
    lenses = await session.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=doc(uri))
    )
    export = next(lens.command for lens in lenses if lens.command.title == "Export to Airflow")
    assert export.command == "mlforge.export"
    answer = await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=export.command, arguments=export.arguments)
    )
    dag = session.root / "quickstart.py"
    assert answer["files"] == [str(dag), str(session.root / "mlforge_task.py")]
    assert any("AIRFLOW006" in w for w in answer["warnings"])
    # The unsaved edit is in the export, and the file is Python.
    source = dag.read_text()
    ast.parse(source)
    assert "301" in source

    # A target that does not exist is refused with a sentence.
    with pytest.raises(Exception, match="not a target to export to"):
        await session.client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="mlforge.export", arguments=[export.arguments[0], "quickstart", "nope"]
            )
        )

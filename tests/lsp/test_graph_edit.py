"""`mlforge/opCatalog` and `mlforge/graphEdit` end to end, once per recorded client: the
quickstart's last three steps (pick the best model, the condition, publish) are built on a
pipeline that lacks them by graph edits only, each answer applied as the client would, and the
result checks clean. Refused edits (a type mismatch, a stale version) leave the server serving.
"""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from conftest import EXAMPLES, Session

pytestmark = pytest.mark.asyncio

QUICKSTART = (EXAMPLES / "quickstart.mlf").read_text()
LAST_STEPS = QUICKSTART[QUICKSTART.index("  step best = ") : QUICKSTART.rindex("}")]
#: The quickstart without its last three steps.
BASE = QUICKSTART.replace(LAST_STEPS, "")


def field(value, name: str):
    """A field of an answer pygls hands back as a namedtuple (or a dict, for error data)."""
    if isinstance(value, dict):
        return value[name]
    return getattr(value, name)


#: The keys of an op catalog entry as they arrive (sorted). pygls renames a key that is a
#: Python keyword (`import`) to its position, so it is read by position.
CATALOG_KEYS = sorted(["name", "kind", "file", "doc", "inputs", "outputs", "import"])


def catalog_import(op):
    at = CATALOG_KEYS.index("import")
    assert op._fields[:at] == tuple(CATALOG_KEYS[:at]), op._fields
    return op[at]


def offset(session: Session, text: str, position) -> int:
    lines = text.split("\n")
    line = lines[field(position, "line")]
    units = field(position, "character")
    start = sum(len(l) + 1 for l in lines[: field(position, "line")])
    # Columns are in the negotiated encoding; walk the line's characters to find the offset.
    count = 0
    for i, ch in enumerate(line):
        if count >= units:
            return start + i
        count += session.units(ch)
    return start + len(line)


def apply(session: Session, text: str, change) -> str:
    edits = [
        (
            offset(session, text, field(field(e, "range"), "start")),
            offset(session, text, field(field(e, "range"), "end")),
            field(e, "newText"),
        )
        for e in field(change, "edits")
    ]
    for start, end, new_text in sorted(edits, reverse=True):
        text = text[:start] + new_text + text[end:]
    return text


class Doc:
    """An open document edited by graph edits, as a client applies them."""

    def __init__(self, session: Session, uri: str, text: str):
        self.session, self.uri, self.text, self.version = session, uri, text, 1

    async def edit(self, edit: dict, pipeline: str = "quickstart"):
        answer = await self.session.client.protocol.send_request_async(
            "mlforge/graphEdit",
            {"uri": self.uri, "version": self.version, "pipeline": pipeline, "edit": edit},
        )
        [change] = field(field(answer, "edit"), "documentChanges")
        document = field(change, "textDocument")
        assert field(document, "uri") == self.uri
        assert field(document, "version") == self.version
        self.text = apply(self.session, self.text, change)
        self.version += 1
        self.session.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=self.text)],
            )
        )
        return field(answer, "select")

    async def refused(self, edit: dict, version: int | None = None) -> JsonRpcException:
        with pytest.raises(JsonRpcException) as refused:
            await self.session.client.protocol.send_request_async(
                "mlforge/graphEdit",
                {
                    "uri": self.uri,
                    "version": self.version if version is None else version,
                    "pipeline": "quickstart",
                    "edit": edit,
                },
            )
        return refused.value


async def test_op_catalog_lists_ops_with_docs_signatures_and_imports(session: Session):
    uri, _ = session.open("quickstart.mlf")
    await session.diagnostics(uri)
    catalog = await session.client.protocol.send_request_async("mlforge/opCatalog", {"uri": uri})
    ops = {field(op, "name"): op for op in field(catalog, "ops")}
    fit = ops["fit"]
    assert field(fit, "kind") == "op"
    assert field(fit, "doc") == "Fits y = a*x + b by gradient descent with the given learning rate."
    assert catalog_import(fit) is None
    inputs = [(field(i, "name"), field(i, "type"), field(i, "required"), field(i, "default")) for i in field(fit, "inputs")]
    assert inputs == [("data", "Dataset", True, None), ("lr", "float", True, None), ("epochs", "int", False, "200")]
    assert [(field(o, "name"), field(o, "type")) for o in field(fit, "outputs")] == [("model", "Model")]
    assert field(ops["quickstart"], "kind") == "pipeline"
    # An op of another workspace file comes with the import the document would need.
    train = ops["ops.train"]
    assert catalog_import(train) == "wine/ops.mlf"
    assert field(train, "file") == session.uri("wine/ops.mlf")


async def test_the_quickstarts_last_steps_built_by_graph_edits(session: Session):
    uri, _ = session.open("quickstart.mlf", BASE)
    await session.diagnostics(uri)
    doc = Doc(session, uri, BASE)

    assert await doc.edit({"kind": "addStep", "op": "pick_best"}) == "pick_best"
    await doc.edit({"kind": "connect", "from": {"step": "fitted", "output": "model"}, "to": {"step": "pick_best", "input": "models"}})
    await doc.edit({"kind": "connect", "from": {"step": "check", "output": "mse"}, "to": {"step": "pick_best", "input": "errors"}})

    # A connection of the wrong type is refused with the checker's message; nothing changes.
    mismatch = await doc.refused(
        {"kind": "connect", "from": {"step": "parts", "output": "train"}, "to": {"step": "pick_best", "input": "errors"}}
    )
    assert mismatch.code == -32803
    assert field(mismatch.data, "reason") == "typeMismatch"
    assert "`list<float>`" in mismatch.message and "`Dataset`" in mismatch.message

    assert await doc.edit({"kind": "addStep", "op": "publish"}) == "publish"
    await doc.edit({"kind": "connect", "from": {"step": "pick_best", "output": "model"}, "to": {"step": "publish", "input": "model"}})
    await doc.edit({"kind": "setArg", "step": "publish", "input": "name", "value": "line-fit"})
    block = await doc.edit({"kind": "wrapIf", "steps": ["publish"], "condition": "pick_best.mse <= max_mse"})
    assert block == "if#1"

    # A request for a version the client has moved past is refused as stale.
    stale = await doc.refused({"kind": "deleteStep", "step": "publish"}, version=1)
    assert stale.code == -32801

    assert "step pick_best = pick_best(models: fitted.model, errors: check.mse)" in doc.text
    assert "  if pick_best.mse <= max_mse {\n    step publish = publish(model: pick_best.model, name: \"line-fit\")\n  }\n" in doc.text
    assert doc.text.startswith(BASE[: BASE.index("  step parts")])  # the rest is untouched

    # The server kept serving: the graph of the final text.
    graph = await session.client.protocol.send_request_async("mlforge/graph", {"uri": uri, "dot": False})
    nodes = {field(n, "id"): n for n in field(field(graph, "graph"), "nodes")}
    assert field(nodes["publish"], "cluster") == "if#1"
    signature = field(nodes["publish"], "signature")
    assert [field(i, "name") for i in field(signature, "inputs")] == ["model", "name"]
    # The graph is built from the latest text: nothing in it is broken or warned about.
    assert all(not hasattr(n, "diagnostics") and not hasattr(n, "broken") for n in nodes.values())
    assert list(field(field(graph, "graph"), "diagnostics")) == []

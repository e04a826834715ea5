"""Fixtures for the language server's end-to-end tests.

Each test runs against the real `mlforge lsp` binary (``MLFORGE_BIN``, or
``target/debug/mlforge`` built on demand) once per recorded client: VS Code 1.65, Neovim 0.7
and Neovim 0.11, as pytest-lsp ships their capabilities. pygls types every message the server
sends through lsprotocol (a message that does not fit its type fails the test), and
pytest-lsp checks answers against the client's declared capabilities (a warning, made an error
by pytest.ini). The tests add their own checks of the same kind in ``check_*`` helpers.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

#: The recorded clients every test runs against.
CLIENTS = ["visual-studio-code@v1.65.2", "neovim@v0.7.0", "neovim@v0.11.0"]


def server_binary() -> str:
    if "MLFORGE_BIN" in os.environ:
        return os.environ["MLFORGE_BIN"]
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = target / "debug" / "mlforge"
    if not binary.exists():
        subprocess.run(["cargo", "build", "-q", "-p", "mlforge"], cwd=ROOT, check=True)
    return str(binary)


@pytest.fixture()
def workspace(tmp_path: pathlib.Path) -> pathlib.Path:
    """A copy of examples/ to edit freely, with the per-code programs of docs/diagnostics/
    under errors/."""
    target = tmp_path / "ws"
    shutil.copytree(EXAMPLES, target)
    shutil.copytree(ROOT / "docs" / "diagnostics", target / "errors")
    return target


class Session:
    """The client, what it declared, and what the server said back."""

    def __init__(self, client: LanguageClient, name: str, root: pathlib.Path):
        self.client = client
        self.name = name
        self.root = root
        self.capabilities: types.ClientCapabilities = client.capabilities  # type: ignore[assignment]
        self.server: types.ServerCapabilities | None = None
        self.registrations: list[types.RegistrationParams] = []
        self.graph_changed: list[dict] = []
        self.encoding = "utf-16"

    def uri(self, rel: str) -> str:
        return (self.root / rel).as_uri()

    def open(self, rel: str, text: str | None = None) -> tuple[str, str]:
        path = self.root / rel
        if text is None:
            text = path.read_text()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        uri = path.as_uri()
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="mlforge", version=1, text=text
                )
            )
        )
        return uri, text

    async def diagnostics(self, uri: str) -> list[types.Diagnostic]:
        """The diagnostics published for ``uri`` (waiting for the first)."""
        for _ in range(200):
            if uri in self.client.diagnostics:
                return list(self.client.diagnostics[uri])
            await self.client.wait_for_notification(
                types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
            )
        raise AssertionError(f"no diagnostics for {uri}")

    def position(self, text: str, needle: str, delta: int = 0, nth: int = 0) -> types.Position:
        """The position of the ``nth`` ``needle`` (plus ``delta`` characters), in the
        negotiated encoding."""
        offset = -1
        for _ in range(nth + 1):
            offset = text.index(needle, offset + 1)
        before = text[:offset]
        line = before.count("\n")
        line_text = before[before.rfind("\n") + 1 :]
        prefix = line_text + text[offset : offset + delta]
        return types.Position(line=line, character=self.units(prefix))

    def units(self, s: str) -> int:
        if self.encoding == "utf-8":
            return len(s.encode("utf-8"))
        if self.encoding == "utf-32":
            return len(s)
        return len(s.encode("utf-16-le")) // 2


def _capability(caps, path: str, default=None):
    value = caps
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return default
    return value


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[server_binary(), "lsp", "--stdio"]),
    params=CLIENTS,
)
async def lsp(lsp_client: LanguageClient, request, workspace: pathlib.Path):
    """The pytest-lsp client, initialized as the recorded client ``request.param``; the
    :class:`Session` is kept on it as ``mlforge``."""
    name = request.param
    registrations: list = []
    graph_changed: list = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def _register(params: types.RegistrationParams):
        registrations.append(params)

    @lsp_client.feature(types.WORKSPACE_SEMANTIC_TOKENS_REFRESH)
    def _tokens_refresh(params):
        return None

    @lsp_client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)
    def _hints_refresh(params):
        return None

    @lsp_client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def _lens_refresh(params):
        return None

    @lsp_client.feature("mlforge/graphChanged")
    def _graph_changed(params):
        graph_changed.append(params)

    capabilities = client_capabilities(name)
    result = await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
            initialization_options={"debounceMs": 0},
        )
    )
    s = Session(lsp_client, name, workspace)
    s.server = result.capabilities
    s.registrations = registrations
    s.graph_changed = graph_changed
    encoding = result.capabilities.position_encoding
    s.encoding = str(encoding.value if hasattr(encoding, "value") else encoding or "utf-16")
    lsp_client.mlforge = s  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest.fixture()
def session(lsp: LanguageClient) -> Session:
    return lsp.mlforge  # type: ignore[attr-defined]


def capability(session: Session, path: str, default=None):
    """A client capability by dotted path (``text_document.hover.content_format``)."""
    return _capability(session.capabilities, path, default)

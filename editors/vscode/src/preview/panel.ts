// The live graph preview: a webview beside the editor that draws the active `.mlf` file's
// pipeline from the server's `mlforge/graph` answer and follows the editor.

import * as vscode from "vscode";
import type { LanguageClient, WorkspaceEdit as LspWorkspaceEdit } from "vscode-languageclient/node";
import type { CatalogOp, DetailMode, FromWebview, GraphAnswer, StepStatus, ToWebview } from "../protocol";
import { sendGraphEdit, type GraphEditAnswer, type GraphEditParams } from "./edits";
import { GraphPage, saveSvg } from "./page";
import { chooseDetail, type DetailSetting } from "./detail";
import { nodeAtCursor, revealRange } from "./cursor";
import { pickPipeline, pipelinesOf } from "./pipelines";
import { LatencyLog } from "./latency";

const EDIT_DEBOUNCE_MS = 60;
const CURSOR_DEBOUNCE_MS = 150;

interface Settings {
  detail: DetailSetting;
  fullLimit: number;
  collapseAbove: number;
  focusHops: number;
  followCursor: boolean;
}

function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration("mlforge.graph");
  return {
    detail: c.get<DetailSetting>("detail", "auto"),
    fullLimit: c.get<number>("fullLimit", 400),
    collapseAbove: c.get<number>("collapseAbove", 40),
    focusHops: c.get<number>("focusHops", 2),
    followCursor: c.get<boolean>("followCursor", true),
  };
}

export class GraphPreview implements vscode.Disposable {
  static readonly viewType = "mlforge.graph";

  private page: GraphPage | undefined;
  private document: vscode.TextDocument | undefined;
  private pipeline: string | undefined;
  private readonly lastPipeline = new Map<string, string>();
  private pipelineSymbols: { uri: string; list: vscode.DocumentSymbol[] } | undefined;
  private answer: GraphAnswer | undefined;
  private askedMode: DetailMode | undefined;
  private chosenMode: DetailMode | null = null;
  private focusNode: string | undefined;
  private seq = 0;
  private editTimer: NodeJS.Timeout | undefined;
  private cursorTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  readonly latency = new LatencyLog();
  /** The document version each graph sent was built from: an edit on the picture is made
   * against it (the server refuses it if the text changed since). */
  private readonly versionOfSeq = new Map<number, number>();
  private catalogAsked: { uri: string; at: number } | undefined;
  /** The statuses of the current or last run, drawn again on every new graph. */
  statusSource: (() => Record<string, { status: StepStatus; durationMs?: number }> | undefined) | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly client: () => LanguageClient | undefined,
    private readonly output: vscode.OutputChannel,
  ) {
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor && editor.document.languageId === "mlforge") void this.follow(editor);
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (!this.page || e.document !== this.document || e.contentChanges.length === 0) return;
        this.latency.edited(e.document.version);
        this.scheduleRefresh(EDIT_DEBOUNCE_MS);
      }),
      vscode.workspace.onDidSaveTextDocument((d) => {
        // Another file's ops may have changed: the palette asks again.
        if (this.page && d.languageId === "mlforge" && d !== this.document) this.catalogAsked = undefined;
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (this.page && e.textEditor.document === this.document) this.scheduleCursor();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("mlforge.graph")) this.scheduleRefresh(0);
      }),
    );
  }

  get isOpen(): boolean {
    return this.page !== undefined;
  }

  /** Opens (or reveals) the preview for an editor's document, optionally at a pipeline. */
  async show(editor: vscode.TextEditor | undefined, pipeline?: string): Promise<void> {
    if (!this.page) this.createPanel();
    else this.page.panel.reveal(vscode.ViewColumn.Beside, true);
    if (editor) await this.follow(editor, pipeline);
    else this.post({ type: "message", text: "Open an .mlf file to see its pipeline's graph." });
  }

  /** The editor of the document the preview shows, when one is visible. */
  get editor(): vscode.TextEditor | undefined {
    return this.activeEditor();
  }

  /** The graph the preview last received (for the run-status layer and tests). */
  get currentAnswer(): GraphAnswer | undefined {
    return this.answer;
  }

  post(message: ToWebview): void {
    this.page?.post(message);
  }

  dispose(): void {
    this.page?.dispose();
    for (const d of this.disposables) d.dispose();
  }

  /** The server says one of the document's graphs changed (e.g. an imported file). */
  onGraphChanged(uri: string): void {
    if (this.page && this.document && this.document.uri.toString() === uri) this.scheduleRefresh(0);
  }

  private createPanel(): void {
    const page = new GraphPage(this.extensionUri, GraphPreview.viewType, "MLForge Graph", (m) => void this.onMessage(m));
    page.panel.onDidDispose(() => {
      this.page = undefined;
      this.answer = undefined;
      void vscode.commands.executeCommand("setContext", "mlforge.graphOpen", false);
    });
    this.page = page;
    void vscode.commands.executeCommand("setContext", "mlforge.graphOpen", true);
  }

  private async follow(editor: vscode.TextEditor, pipeline?: string): Promise<void> {
    if (!this.page) return;
    const changedDocument = this.document !== editor.document;
    this.document = editor.document;
    if (pipeline) this.pipeline = pipeline;
    else if (changedDocument) this.pipeline = undefined;
    if (changedDocument) {
      this.focusNode = undefined;
      this.answer = undefined;
    }
    await this.refresh();
  }

  private scheduleRefresh(delay: number): void {
    clearTimeout(this.editTimer);
    this.editTimer = setTimeout(() => void this.refresh(), delay);
  }

  private scheduleCursor(): void {
    clearTimeout(this.cursorTimer);
    this.cursorTimer = setTimeout(() => void this.onCursor(), CURSOR_DEBOUNCE_MS);
  }

  private activeEditor(): vscode.TextEditor | undefined {
    return vscode.window.visibleTextEditors.find((e) => e.document === this.document);
  }

  private async onCursor(): Promise<void> {
    const editor = this.activeEditor();
    if (!editor || !this.answer) return;
    const settings = readSettings();
    if (!settings.followCursor) return;
    const cursor = editor.selection.active;
    // The cursor moved into another pipeline of the same file? Asking for the document's
    // symbols costs a lot on a 5,000-step file, so only when it left the one shown (as last
    // seen: an edit moves ranges a little, and a miss only means one more question).
    const known = this.pipelineSymbols?.uri === editor.document.uri.toString() ? this.pipelineSymbols.list : undefined;
    const current = known?.find((p) => p.name === this.pipeline);
    if (current?.range.contains(cursor)) return this.showCursor(editor);
    const pipelines = await pipelinesOf(editor.document.uri);
    this.pipelineSymbols = { uri: editor.document.uri.toString(), list: pipelines };
    const wanted = pickPipeline(pipelines, cursor, this.pipeline);
    if (wanted && wanted !== this.pipeline) {
      this.pipeline = wanted;
      this.focusNode = undefined;
      return this.refresh();
    }
    return this.showCursor(editor);
  }

  private async showCursor(editor: vscode.TextEditor): Promise<void> {
    if (!this.answer) return;
    const node = nodeAtCursor(this.answer.graph, editor.selection.active);
    if (this.askedMode === "focus" && node !== this.answer.focus) {
      // Steps outside the focus subgraph are not drawn: re-centre on the cursor's step.
      if (node || !this.answer.graph.nodes.length) {
        this.focusNode = undefined;
        return this.refresh();
      }
    }
    this.post({ type: "cursor", node });
  }

  private async refresh(): Promise<void> {
    const client = this.client();
    const document = this.document;
    if (!this.page || !document) return;
    if (!client || !client.isRunning()) {
      this.post({ type: "message", text: "The MLForge language server is not running; run “MLForge: Restart Server”." });
      return;
    }
    const editor = this.activeEditor();
    const settings = readSettings();
    if (!this.pipeline) {
      const pipelines = await pipelinesOf(document.uri);
      this.pipelineSymbols = { uri: document.uri.toString(), list: pipelines };
      this.pipeline = pickPipeline(pipelines, editor?.selection.active, this.lastPipeline.get(document.uri.toString()));
    }
    const total = this.answer ? (this.answer.total?.nodes ?? this.answer.graph.nodes.length) : null;
    const mode = chooseDetail({ setting: settings.detail, chosen: this.chosenMode, totalNodes: total, fullLimit: settings.fullLimit });
    const version = document.version;
    const params: Record<string, unknown> = { uri: document.uri.toString(), dot: false };
    if (this.pipeline) params.pipeline = this.pipeline;
    if (mode === "focus") {
      const hops = settings.focusHops;
      params.focus = this.focusNode
        ? { node: this.focusNode, hops }
        : { position: editor ? toLsp(editor.selection.active) : { line: 0, character: 0 }, hops };
    }
    let answer: GraphAnswer;
    try {
      answer = await client.sendRequest<GraphAnswer>("mlforge/graph", params);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.output.appendLine(`[graph] ${message}`);
      this.post({ type: "message", text: message });
      return;
    }
    if (document !== this.document) return; // the user moved on while we waited
    this.answer = answer;
    this.askedMode = mode;
    this.pipeline = answer.pipeline;
    this.lastPipeline.set(document.uri.toString(), answer.pipeline);
    // The first answer tells the size; ask again if it calls for another level of detail.
    // (A server without `total` answered with the whole graph: its size is the total.)
    const totalNodes = answer.total?.nodes ?? answer.graph.nodes.length;
    const now = chooseDetail({ setting: settings.detail, chosen: this.chosenMode, totalNodes, fullLimit: settings.fullLimit });
    // (A focus answer without a centre, e.g. of an empty pipeline, holds it all already.)
    if (now !== mode && (mode !== "focus" || typeof answer.focus === "string" || answer.graph.nodes.length === 0)) return this.refresh();
    this.page.panel.title = `Graph: ${answer.pipeline}`;
    this.seq += 1;
    this.latency.sent(this.seq, version);
    this.versionOfSeq.set(this.seq, version);
    for (const s of this.versionOfSeq.keys()) if (s < this.seq - 20) this.versionOfSeq.delete(s);
    void this.askCatalog(client, document);
    this.post({
      type: "graph",
      seq: this.seq,
      uri: document.uri.toString(),
      answer,
      mode,
      settings: { collapseAbove: settings.collapseAbove, focusHops: settings.focusHops },
      editable: true,
    });
    if (editor) this.post({ type: "cursor", node: nodeAtCursor(answer.graph, editor.selection.active) });
    const statuses = this.statusSource?.();
    if (statuses && Object.keys(statuses).length) this.post({ type: "status", statuses });
  }

  private async onMessage(message: FromWebview): Promise<void> {
    switch (message.type) {
      case "ready":
        return;
      case "reveal":
        return this.reveal(message.node);
      case "focus":
        this.chosenMode = "focus";
        this.focusNode = message.node;
        return this.refresh();
      case "setMode":
        this.chosenMode = message.mode;
        this.focusNode = undefined;
        return this.refresh();
      case "exportSvg":
        return this.saveSvg(message.svg);
      case "run":
        if (!this.document) return;
        await vscode.commands.executeCommand(`mlforge.${message.kind}`, this.document.uri.fsPath, this.pipeline, message.node);
        return;
      case "rendered":
        this.latency.rendered(message.seq, message.layoutMs);
        return;
      case "edit":
        return this.graphEdit(message);
      case "rename":
        return this.renameStep(message);
      case "error":
        this.output.appendLine(`[graph preview] ${message.message}`);
        return;
    }
  }

  /** The palette's ops: asked when another file is shown, and at most once a second. */
  private async askCatalog(client: LanguageClient, document: vscode.TextDocument): Promise<void> {
    const uri = document.uri.toString();
    const now = Date.now();
    if (this.catalogAsked && this.catalogAsked.uri === uri && now - this.catalogAsked.at < 1000) return;
    this.catalogAsked = { uri, at: now };
    try {
      const answer = await client.sendRequest<{ ops: CatalogOp[] }>("mlforge/opCatalog", { uri });
      if (document === this.document) this.post({ type: "catalog", ops: answer.ops });
    } catch (error) {
      this.output.appendLine(`[graph] the ops for the palette: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async graphEdit(message: Extract<FromWebview, { type: "edit" }>): Promise<void> {
    const client = this.client();
    const document = this.document;
    const version = this.versionOfSeq.get(message.seq);
    const result = (r: { ok: boolean; select?: string | null; error?: string }) => this.post({ type: "editResult", id: message.id, ...r });
    if (!client || !document || !this.pipeline || version === undefined) {
      return result({ ok: false, error: "The graph is not connected to a file any more: open the file and try again." });
    }
    const outcome = await sendGraphEdit(
      {
        request: (params: GraphEditParams) => client.sendRequest<GraphEditAnswer>("mlforge/graphEdit", params),
        apply: async (edit) => {
          const converted = await client.protocol2CodeConverter.asWorkspaceEdit(edit as LspWorkspaceEdit);
          return converted !== undefined && vscode.workspace.applyEdit(converted);
        },
        confirm: async (text, action) => (await vscode.window.showWarningMessage(text, { modal: true }, action)) === action,
      },
      { uri: document.uri.toString(), version, pipeline: this.pipeline, edit: message.edit },
    );
    if (!outcome.ok) {
      this.output.appendLine(`[graph edit] ${message.edit.kind}: ${outcome.error}`);
      return result({ ok: false, error: outcome.error });
    }
    result({ ok: true, select: outcome.select });
    // Straight away: the edit came from the picture, which waits for it.
    this.scheduleRefresh(0);
  }

  /** Rename in place: the server's own rename (textDocument/rename), applied as one change. */
  private async renameStep(message: Extract<FromWebview, { type: "rename" }>): Promise<void> {
    const result = (r: { ok: boolean; select?: string | null; error?: string }) => this.post({ type: "editResult", id: message.id, ...r });
    const node = this.answer?.graph.nodes.find((n) => n.id === message.node);
    if (!node?.name_range || !this.document) return result({ ok: false, error: `The step ${message.node} is not in the graph any more.` });
    const uri = node.file ? vscode.Uri.file(node.file) : this.document.uri;
    const at = new vscode.Position(node.name_range[0] - 1, node.name_range[1] - 1);
    try {
      const edit = await vscode.commands.executeCommand<vscode.WorkspaceEdit | undefined>("vscode.executeDocumentRenameProvider", uri, at, message.name);
      if (!edit || !(await vscode.workspace.applyEdit(edit))) return result({ ok: false, error: `The step could not be renamed to ${message.name}.` });
    } catch (error) {
      return result({ ok: false, error: error instanceof Error ? error.message : String(error) });
    }
    const prefix = message.node.includes(".") ? message.node.slice(0, message.node.lastIndexOf(".") + 1) : "";
    result({ ok: true, select: prefix + message.name });
    this.scheduleRefresh(0);
  }

  async chooseDetail(): Promise<void> {
    const picked = await vscode.window.showQuickPick(
      [
        { label: "Automatic", description: "full up to mlforge.graph.fullLimit steps, focus beyond", mode: null },
        { label: "Full", description: "every step; big blocks collapsed until clicked", mode: "full" as DetailMode },
        { label: "Overview", description: "every block and sub-pipeline collapsed", mode: "overview" as DetailMode },
        { label: "Focus", description: "the cursor's step and its neighbours", mode: "focus" as DetailMode },
      ],
      { placeHolder: "How much of the pipeline should the graph show?" },
    );
    if (!picked) return;
    this.chosenMode = picked.mode;
    this.focusNode = undefined;
    await this.refresh();
  }

  private async reveal(nodeId: string): Promise<void> {
    if (!this.answer || !this.document) return;
    const target = revealRange(this.answer.graph, nodeId);
    if (!target) return;
    const [sl, sc, el, ec] = target.range;
    const uri = target.file ? vscode.Uri.file(target.file) : this.document.uri;
    const selection = new vscode.Range(sl - 1, sc - 1, el - 1, ec - 1);
    const column = this.activeEditor()?.viewColumn ?? vscode.ViewColumn.One;
    await vscode.window.showTextDocument(uri, { viewColumn: column, selection, preserveFocus: false });
  }

  private saveSvg(svg: string): Promise<void> {
    const base = this.document ? vscode.Uri.joinPath(this.document.uri, "..") : undefined;
    return saveSvg(svg, base ? vscode.Uri.joinPath(base, `${this.pipeline ?? "pipeline"}.svg`) : undefined);
  }
}

function toLsp(pos: vscode.Position): { line: number; character: number } {
  return { line: pos.line, character: pos.character };
}

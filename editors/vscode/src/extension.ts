// The extension's entry point: starts the language server and wires the commands.

import * as path from "node:path";
import * as vscode from "vscode";
import { GraphPreview } from "./preview/panel";
import { Server } from "./server";
import type { RunKind } from "./cli-args";
import { RunSessions } from "./run/session";
import { compareWithHead } from "./diff/compare";
import { LineagePanel } from "./runs/lineage";
import { LOG_SCHEME, RunsView } from "./runs/view";
import { STD_SCHEME, StdSourceProvider } from "./std-source";

export interface MlforgeApi {
  server: Server;
  preview: GraphPreview;
}

export async function activate(context: vscode.ExtensionContext): Promise<MlforgeApi> {
  const server = new Server(context);
  const preview = new GraphPreview(context.extensionUri, () => server.current, server.output);
  context.subscriptions.push(server, preview);
  // The op library's sources (go to definition on a `std/` op), read-only, from the server.
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(STD_SCHEME, new StdSourceProvider(() => server.current)),
  );

  server.onStarted((client) => {
    context.subscriptions.push(
      client.onNotification("mlforge/graphChanged", (params: { uri: string }) => preview.onGraphChanged(params.uri)),
    );
  });

  const command = (name: string, run: (...args: any[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(name, run));

  command("mlforge.restartServer", async () => {
    await server.restart();
    void vscode.window.setStatusBarMessage("MLForge: language server restarted", 3000);
  });
  command("mlforge.showOutput", () => server.output.show());
  command("mlforge.showGraph", async (file?: string, pipeline?: string) => {
    let editor = vscode.window.activeTextEditor;
    if (typeof file === "string") {
      const uri = vscode.Uri.file(file);
      editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === uri.fsPath) ??
        (await vscode.window.showTextDocument(uri, { preview: false }));
    }
    if (editor && editor.document.languageId !== "mlforge") editor = undefined;
    await preview.show(editor, typeof pipeline === "string" ? pipeline : undefined);
  });
  command("mlforge.graph.fit", () => preview.post({ type: "command", command: "fit" }));
  command("mlforge.graph.search", () => preview.post({ type: "command", command: "search" }));
  command("mlforge.graph.exportSvg", () => preview.post({ type: "command", command: "exportSvg" }));
  command("mlforge.graph.setDetail", () => preview.chooseDetail());
  // For the end-to-end benchmark: keystroke → picture figures gathered so far.
  command("mlforge.debug.previewLatency", () => preview.latency.samples.slice());

  const runs = new RunSessions(() => server.binary, preview);
  context.subscriptions.push(runs);
  preview.statusSource = () => runs.statuses?.all();
  const fileOf = (file?: unknown) => (typeof file === "string" ? file : vscode.window.activeTextEditor?.document.uri.fsPath);
  for (const kind of ["run", "runStep", "runFrom"] as RunKind[]) {
    command(`mlforge.${kind}`, async (file?: string, pipeline?: string, step?: string) => {
      const target = fileOf(file);
      if (!target) return void vscode.window.showErrorMessage("Open an .mlf file to run its pipeline.");
      // Show the graph the run colours, without taking the focus from the editor.
      if (!preview.isOpen) await vscode.commands.executeCommand("mlforge.showGraph", target, typeof pipeline === "string" ? pipeline : undefined);
      await runs.start({ kind, file: target, pipeline: typeof pipeline === "string" ? pipeline : undefined, step: typeof step === "string" ? step : undefined });
    });
  }
  command("mlforge.plan", async (file?: string, pipeline?: string) => {
    const target = fileOf(file);
    if (!target) return void vscode.window.showErrorMessage("Open an .mlf file to plan a run.");
    if (!preview.isOpen) await vscode.commands.executeCommand("mlforge.showGraph", target, typeof pipeline === "string" ? pipeline : undefined);
    await runs.plan({ kind: "plan", file: target, pipeline: typeof pipeline === "string" ? pipeline : undefined });
  });
  command("mlforge.cancelRun", () => runs.cancel());
  command("mlforge.compareWithHead", () => compareWithHead(server.binary, preview));

  const runsView = new RunsView(() => server.binary, server.output);
  const lineage = new LineagePanel(context.extensionUri, () => server.binary, () => runsView.folder(), (run, step) => runsView.openLog(run, step));
  context.subscriptions.push(
    runsView,
    lineage,
    vscode.window.registerTreeDataProvider("mlforge.runs", runsView),
    vscode.workspace.registerTextDocumentContentProvider(LOG_SCHEME, runsView),
  );
  runs.onFinished = () => runsView.refresh();
  command("mlforge.runs.refresh", () => runsView.refresh());
  command("mlforge.runs.openLog", (run: number, step: string) => runsView.openLog(run, step));
  command("mlforge.runs.showLineage", (target?: string) => (typeof target === "string" ? lineage.show(target) : undefined));
  command("mlforge.showRunOutput", () => runs.output.show(true));

  await server.start();
  return { server, preview };
}

export function deactivate(): Promise<void> | undefined {
  return undefined;
}

// The "Runs" view in MLForge's activity-bar container: recent runs of the workspace's store,
// each with its params, steps (click: the step's log), metrics and artifacts (click: the
// artifact's lineage, drawn like the graph preview).

import * as vscode from "vscode";
import { mlforgeJson, mlforgeText } from "./cli";
import { runLabel, stepAddress, stepLabel, valueText, type RunSummary, type ShowRun } from "./model";

type Node =
  | { kind: "run"; run: RunSummary }
  | { kind: "group"; run: RunSummary; group: "params" | "steps" | "metrics" | "artifacts" }
  | { kind: "leaf"; label: string; description?: string; tooltip?: string; command?: vscode.Command; icon?: string; context?: string };

export class RunsView implements vscode.TreeDataProvider<Node>, vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly shown = new Map<number, Promise<ShowRun>>();

  constructor(
    private readonly binary: () => string | undefined,
    private readonly output: vscode.OutputChannel,
  ) {}

  dispose(): void {
    this.changed.dispose();
  }

  refresh(): void {
    this.shown.clear();
    this.changed.fire(undefined);
  }

  /** The folder whose store the view shows. */
  folder(): string | undefined {
    const active = vscode.window.activeTextEditor?.document.uri;
    const folder = (active && vscode.workspace.getWorkspaceFolder(active)) ?? vscode.workspace.workspaceFolders?.[0];
    return folder?.uri.fsPath;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === "run") {
      const { label, description } = runLabel(node.run, Date.now());
      const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
      item.description = description;
      item.tooltip = `${node.run.file}${node.run.error ? `\n${node.run.error}` : ""}`;
      item.contextValue = "run";
      item.iconPath = new vscode.ThemeIcon(statusIcon(node.run.status));
      return item;
    }
    if (node.kind === "group") {
      const names = { params: "Params", steps: "Steps", metrics: "Metrics", artifacts: "Artifacts" };
      const item = new vscode.TreeItem(names[node.group], node.group === "steps" ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
      return item;
    }
    const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.command = node.command;
    item.contextValue = node.context;
    if (node.icon) item.iconPath = new vscode.ThemeIcon(node.icon);
    return item;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    const binary = this.binary();
    const folder = this.folder();
    if (!binary || !folder) return [];
    try {
      if (!node) {
        const runs = await mlforgeJson<RunSummary[]>(binary, ["runs", "--format", "json", "--limit", "30"], folder);
        return runs.map((run) => ({ kind: "run", run }));
      }
      if (node.kind === "run") {
        return (["params", "steps", "metrics", "artifacts"] as const).map((group) => ({ kind: "group", run: node.run, group }));
      }
      if (node.kind === "group") return this.groupChildren(binary, folder, node.run, node.group);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // No store yet is the normal state of a new project.
      if (!node && /no (runs|store)|does not exist|not found/i.test(message)) return [];
      this.output.appendLine(`[runs] ${message}`);
      return [{ kind: "leaf", label: message, icon: "warning" }];
    }
    return [];
  }

  private show(binary: string, folder: string, id: number): Promise<ShowRun> {
    let shown = this.shown.get(id);
    if (!shown) {
      shown = mlforgeJson<ShowRun>(binary, ["show", String(id), "--format", "json"], folder);
      this.shown.set(id, shown);
    }
    return shown;
  }

  private async groupChildren(binary: string, folder: string, run: RunSummary, group: "params" | "steps" | "metrics" | "artifacts"): Promise<Node[]> {
    if (group === "params") {
      return Object.entries(run.params ?? {}).map(([k, v]) => ({ kind: "leaf", label: k, description: valueText(v), icon: "symbol-parameter" }));
    }
    const shown = await this.show(binary, folder, run.id);
    if (group === "steps") {
      return shown.steps.map((s) => {
        const { label, description } = stepLabel(s);
        const address = stepAddress(s.attempt.step, s.attempt.element);
        return {
          kind: "leaf",
          label,
          description,
          tooltip: s.attempt.error ?? undefined,
          icon: statusIcon(s.attempt.cached_from ? "cached" : s.attempt.status),
          context: "step",
          command: { title: "Open Log", command: "mlforge.runs.openLog", arguments: [run.id, address] },
        };
      });
    }
    if (group === "metrics") {
      return shown.metrics.map((m) => ({
        kind: "leaf",
        label: `${stepAddress(m.step, m.element)}.${m.output}.${m.name}`,
        description: valueText(m.value),
        icon: "graph-line",
      }));
    }
    return shown.steps.flatMap((s) =>
      s.outputs
        .filter((o) => o.artifact)
        .map((o) => {
          const address = `${run.id}/${stepAddress(s.attempt.step, s.attempt.element)}.${o.name}`;
          return {
            kind: "leaf" as const,
            label: address.slice(String(run.id).length + 1),
            description: o.artifact!.slice(0, 12),
            tooltip: `sha256 ${o.artifact}\nClick for its lineage.`,
            icon: "file-binary",
            context: "artifact",
            command: { title: "Show Lineage", command: "mlforge.runs.showLineage", arguments: [address] },
          };
        }),
    );
  }

  /** Opens a step's log read-only (a `mlforge-log:` document, served by `provideTextDocumentContent`). */
  async openLog(run: number, step: string): Promise<void> {
    const folder = this.folder();
    if (!folder) return;
    const uri = vscode.Uri.from({ scheme: LOG_SCHEME, path: `/${run}/${step}.log`, query: new URLSearchParams({ folder, run: String(run), step }).toString() });
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(document, "log");
    await vscode.window.showTextDocument(document, { preview: true });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const query = new URLSearchParams(uri.query);
    const binary = this.binary();
    const [folder, run, step] = [query.get("folder"), query.get("run"), query.get("step")];
    if (!binary || !folder || !run || !step) return "This log link is incomplete; open the log again from the Runs view.";
    try {
      const text = await mlforgeText(binary, ["logs", run, step], folder);
      return text || `(the log of ${step} in run ${run} is empty)`;
    } catch (error) {
      return `Could not read the log of ${step} in run ${run}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
}

export const LOG_SCHEME = "mlforge-log";

function statusIcon(status: string): string {
  switch (status) {
    case "succeeded":
      return "pass";
    case "failed":
      return "error";
    case "cancelled":
    case "interrupted":
      return "circle-slash";
    case "running":
      return "sync";
    case "cached":
      return "database";
    case "skipped":
      return "debug-step-over";
    default:
      return "circle-outline";
  }
}

// Runs a pipeline (or one step) from the editor: `mlforge run … --events json`, with every
// event coloured onto the graph preview, a progress notification with Cancel, step logs in
// the "MLForge" output channel, a failed step's error as a diagnostic on its `step` line,
// and a status-bar item.

import { spawn, execFile, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import * as vscode from "vscode";
import { cliArgs, type RunKind } from "../cli-args";
import type { GraphPreview } from "../preview/panel";
import { LineSplitter, parseEvent, planStatuses, RunState, summarise, type PlanEntry, type RunEvent } from "./events";
import { paramArgs, paramsToAsk, typeText, type IrParam } from "./params";

const STATUS_FLUSH_MS = 30;

export interface RunRequest {
  kind: RunKind;
  file: string;
  pipeline?: string;
  step?: string;
}

export class RunSessions implements vscode.Disposable {
  readonly output = vscode.window.createOutputChannel("MLForge");
  private readonly diagnostics = vscode.languages.createDiagnosticCollection("mlforge-run");
  private readonly statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
  private child: ChildProcess | undefined;
  /** Called when a run ends (the runs view refreshes). */
  onFinished: (() => void) | undefined;
  private state: RunState | undefined;

  constructor(
    private readonly binary: () => string | undefined,
    private readonly preview: GraphPreview,
  ) {
    this.statusItem.command = "mlforge.showRunOutput";
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** The statuses of the current or last run (a preview opened mid-run asks for them). */
  get statuses(): RunState | undefined {
    return this.state;
  }

  dispose(): void {
    this.cancel();
    this.output.dispose();
    this.diagnostics.dispose();
    this.statusItem.dispose();
  }

  cancel(): void {
    // SIGINT is Ctrl-C: the runner cancels its steps, records the run and exits.
    this.child?.kill("SIGINT");
  }

  async start(request: RunRequest): Promise<void> {
    const binary = this.binary();
    if (!binary) {
      void vscode.window.showErrorMessage("The MLForge server is not running, so there is no mlforge binary to run; see “MLForge: Show Server Output”.");
      return;
    }
    if (this.child) {
      const choice = await vscode.window.showWarningMessage("A run is in progress. Cancel it and start this one?", "Cancel and Run");
      if (choice !== "Cancel and Run") return;
      this.cancel();
      await new Promise((r) => setTimeout(r, 300));
    }
    await vscode.workspace.saveAll(false);
    const cwd = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(request.file))?.uri.fsPath ?? path.dirname(request.file);
    const params = await this.askParams(binary, request, cwd);
    if (params === undefined) return; // the user dismissed a prompt
    const config = vscode.workspace.getConfiguration("mlforge.run");
    const args = [...cliArgs(request.kind, request.file, request.pipeline, request.step), "--events", "json", ...paramArgs(params)];
    const jobs = config.get<number | null>("jobs");
    if (jobs) args.push("--jobs", String(jobs));
    const python = config.get<string>("python");
    if (python) args.push("--python", python);

    this.diagnostics.clear();
    this.preview.post({ type: "clearStatus" });
    const state = new RunState();
    this.state = state;
    this.output.appendLine(`\n$ mlforge ${args.join(" ")}`);
    const child = spawn(binary, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    void vscode.commands.executeCommand("setContext", "mlforge.running", true);
    this.setStatusBar("$(sync~spin) MLForge: starting", "Running");

    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `MLForge: ${request.step ? `${request.kind === "runFrom" ? "from" : "step"} ${request.step}` : "running"}`, cancellable: true },
      (progress, token) =>
        new Promise<void>((resolve) => {
          token.onCancellationRequested(() => this.cancel());
          const splitter = new LineSplitter();
          let flush: NodeJS.Timeout | undefined;
          const pushStatuses = () => {
            flush = undefined;
            const changed = state.takeChanged();
            if (Object.keys(changed).length) this.preview.post({ type: "status", statuses: changed });
          };
          const onLine = (line: string) => {
            const parsed = parseEvent(line);
            if ("problem" in parsed) {
              this.output.appendLine(`(unexpected output from mlforge: ${parsed.problem})`);
              return;
            }
            const event = parsed.event;
            state.apply(event);
            void this.onEvent(event, request, progress);
            // Batch the events of one burst into one message; never later than a frame or two.
            flush ??= setTimeout(pushStatuses, STATUS_FLUSH_MS);
          };
          child.stdout!.setEncoding("utf8");
          child.stdout!.on("data", (chunk: string) => splitter.push(chunk).forEach(onLine));
          child.stderr!.setEncoding("utf8");
          child.stderr!.on("data", (chunk: string) => this.output.append(chunk));
          child.on("error", (error) => {
            this.output.appendLine(`Could not start ${binary}: ${error.message}`);
            resolve();
          });
          child.on("close", (code) => {
            splitter.end().forEach(onLine);
            clearTimeout(flush);
            pushStatuses();
            this.child = undefined;
            void vscode.commands.executeCommand("setContext", "mlforge.running", false);
            this.finish(state, code);
            this.onFinished?.();
            resolve();
          });
        }),
    );
  }

  /** `mlforge plan --format json`, shown on the graph (queued: will run; cached) and in the output. */
  async plan(request: RunRequest): Promise<void> {
    const binary = this.binary();
    if (!binary) return;
    await vscode.workspace.saveAll(false);
    const cwd = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(request.file))?.uri.fsPath ?? path.dirname(request.file);
    const args = [...cliArgs("plan", request.file, request.pipeline), "--format", "json"];
    const python = vscode.workspace.getConfiguration("mlforge.run").get<string>("python");
    if (python) args.push("--python", python);
    const answer = await new Promise<{ plan?: { pipeline: string; entries: PlanEntry[] }; error?: string }>((resolve) =>
      execFile(binary, args, { cwd, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error) return resolve({ error: stderr.trim() || error.message });
        try {
          resolve({ plan: JSON.parse(stdout) });
        } catch {
          resolve({ error: "mlforge plan printed something that is not JSON." });
        }
      }),
    );
    if (!answer.plan) {
      this.output.appendLine(answer.error ?? "");
      void vscode.window.showErrorMessage(`The plan could not be made: ${answer.error}`, "Show Output").then((c) => c && this.output.show(true));
      return;
    }
    this.preview.post({ type: "clearStatus" });
    this.preview.post({ type: "status", statuses: planStatuses(answer.plan.entries) });
    this.output.appendLine(`\nPlan of ${answer.plan.pipeline}:`);
    for (const e of answer.plan.entries) {
      const where = `${e.step}${e.element?.length ? `[${e.element.join(",")}]` : ""}`;
      this.output.appendLine(`  ${where}: ${e.status.replace("_", " ")}${e.note ? ` (${e.note})` : ""}`);
    }
    const counts = answer.plan.entries.reduce<Record<string, number>>((c, e) => ((c[e.status] = (c[e.status] ?? 0) + 1), c), {});
    this.setStatusBar(`$(checklist) MLForge: ${counts.will_run ?? 0} will run, ${counts.cached ?? 0} cached`, "The last plan; see the MLForge output");
  }

  private async onEvent(event: RunEvent, request: RunRequest, progress: vscode.Progress<{ message?: string }>): Promise<void> {
    const where = event.step ? `${event.step}${event.element?.length ? `[${event.element.join(",")}]` : ""}` : "";
    switch (event.event) {
      case "run_started":
        this.setStatusBar(`$(sync~spin) MLForge: run ${event.run_id}`, `Run ${event.run_id} of ${event.pipeline}`);
        this.output.appendLine(`Run ${event.run_id} of ${event.pipeline} started.`);
        return;
      case "step_started":
        progress.report({ message: `${where} running` });
        return;
      case "step_retrying":
        this.output.appendLine(`${where}: attempt ${event.attempt} failed (${event.error}); retrying.`);
        return;
      case "step_cached":
        this.output.appendLine(`${where}: cached (from run ${String(event.from_run)}).`);
        return;
      case "step_skipped":
        this.output.appendLine(`${where}: skipped (${event.reason}).`);
        return;
      case "step_succeeded":
      case "step_failed":
      case "step_cancelled":
        await this.appendLog(where, event);
        if (event.event === "step_failed") await this.markFailure(event, request);
        return;
    }
  }

  private async appendLog(where: string, event: RunEvent): Promise<void> {
    const status = event.event.replace("step_", "");
    this.output.appendLine(`── ${where}: ${status}${event.duration_ms !== undefined ? ` in ${event.duration_ms} ms` : ""}${event.error ? ` (${event.error})` : ""}`);
    if (!event.log_path) return;
    try {
      const text = await readFile(event.log_path, "utf8");
      // A huge log is for `mlforge logs`; the channel shows its end.
      const shown = text.length > 20_000 ? `… (${text.length - 20_000} characters before)\n${text.slice(-20_000)}` : text;
      if (shown.trim()) this.output.appendLine(shown.trimEnd());
    } catch {
      if (event.log_tail?.length) this.output.appendLine(event.log_tail.join("\n"));
    }
  }

  private async markFailure(event: RunEvent, request: RunRequest): Promise<void> {
    const node = this.preview.currentAnswer?.graph.nodes.find((n) => n.id === event.step);
    const range = node?.name_range ?? node?.range;
    const uri = vscode.Uri.file(node?.file ?? request.file);
    // Without the step in the preview's graph (closed, or a focus view elsewhere), its
    // `step NAME` line in the file.
    const vsRange = range
      ? new vscode.Range(range[0] - 1, range[1] - 1, range[2] - 1, range[3] - 1)
      : await stepLine(uri, String(event.step));
    const tail = event.log_tail?.length ? `\n${event.log_tail.join("\n").trimEnd()}` : "";
    const diagnostic = new vscode.Diagnostic(vsRange, `Step \`${event.step}\` failed in run ${event.run_id}: ${event.error}${tail}`, vscode.DiagnosticSeverity.Error);
    diagnostic.source = "mlforge run";
    const existing = this.diagnostics.get(uri) ?? [];
    this.diagnostics.set(uri, [...existing, diagnostic]);
  }

  private finish(state: RunState, code: number | null): void {
    const end = state.finished;
    if (!end) {
      this.setStatusBar("$(error) MLForge: run failed to start", "See the MLForge output");
      void vscode.window.showErrorMessage(`mlforge run exited with status ${code} before the run started; the MLForge output says why.`, "Show Output").then((c) => c && this.output.show(true));
      return;
    }
    const counts = summarise(end.counts);
    const icon = end.status === "succeeded" ? "$(check)" : end.status === "cancelled" ? "$(circle-slash)" : "$(error)";
    this.setStatusBar(`${icon} MLForge: run ${end.run_id} ${end.status}`, `${counts} in ${end.duration_ms} ms`);
    this.output.appendLine(`Run ${end.run_id} ${end.status} in ${end.duration_ms} ms: ${counts}.${end.error ? ` ${end.error}` : ""}`);
    if (end.status === "failed") {
      void vscode.window.showErrorMessage(`Run ${end.run_id} failed: ${end.error ?? "a step failed"}.`, "Show Output").then((c) => c && this.output.show(true));
    }
  }

  private setStatusBar(text: string, tooltip: string): void {
    this.statusItem.text = text;
    this.statusItem.tooltip = tooltip;
    this.statusItem.show();
  }

  /** Values for params with no default: from `mlforge.run.params`, else asked for. */
  private async askParams(binary: string, request: RunRequest, cwd: string): Promise<Record<string, unknown> | undefined> {
    const configured = vscode.workspace.getConfiguration("mlforge.run").get<Record<string, Record<string, unknown>>>("params", {});
    const irArgs = ["ir", request.file, ...(request.pipeline ? ["--pipeline", request.pipeline] : [])];
    const ir = await new Promise<{ pipeline?: string; params?: IrParam[] } | undefined>((resolve) =>
      execFile(binary, irArgs, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
        // A file that does not compile: let `mlforge run` report it.
        if (error) return resolve(undefined);
        try {
          resolve(JSON.parse(stdout));
        } catch {
          resolve(undefined);
        }
      }),
    );
    const pipeline = ir?.pipeline ?? request.pipeline ?? "";
    const values: Record<string, unknown> = { ...(configured[pipeline] ?? {}) };
    for (const param of paramsToAsk(ir?.params ?? [], values)) {
      const answer = await vscode.window.showInputBox({
        title: `MLForge: ${pipeline}`,
        prompt: `A value for the param \`${param.name}\` (${typeText(param.type)}), which has no default. Lists as JSON, e.g. [1, 2]. Set mlforge.run.params to skip this question.`,
        ignoreFocusOut: true,
      });
      if (answer === undefined) return undefined;
      values[param.name] = answer;
    }
    return values;
  }
}

async function stepLine(uri: vscode.Uri, step: string): Promise<vscode.Range> {
  try {
    const document = await vscode.workspace.openTextDocument(uri);
    const name = step.split(".").pop()!;
    const match = new RegExp(`\\bstep\\s+(${name.replace(/[^A-Za-z0-9_]/g, "")})\\b`).exec(document.getText());
    if (match) {
      const start = document.positionAt(match.index + match[0].length - match[1].length);
      return new vscode.Range(start, start.translate(0, match[1].length));
    }
  } catch {
    // the file went away; the diagnostic goes on its first line
  }
  return new vscode.Range(0, 0, 0, 0);
}

// Starting, restarting and stopping `mlforge lsp`.

import * as fs from "node:fs";
import * as os from "node:os";
import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  TransportKind,
  type CloseHandlerResult,
  type ErrorHandler,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import { CrashPolicy } from "./crash";
import { discoverServer } from "./discovery";
import { STD_SCHEME } from "./std-source";

function isExecutable(file: string): boolean {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class Server implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly crashes: CrashPolicy;
  readonly output = vscode.window.createOutputChannel("MLForge Language Server");
  private readonly trace = vscode.window.createOutputChannel("MLForge Language Server Trace");
  private readonly listeners: ((client: LanguageClient) => void)[] = [];

  constructor(private readonly context: vscode.ExtensionContext) {
    const max = vscode.workspace.getConfiguration("mlforge.server").get<number>("maxRestarts", 5);
    this.crashes = new CrashPolicy(max);
  }

  get current(): LanguageClient | undefined {
    return this.client;
  }

  /** The `mlforge` binary in use, for the commands that run the CLI. */
  binary: string | undefined;

  /** Called with each client that starts (after a restart too). */
  onStarted(listener: (client: LanguageClient) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    const config = vscode.workspace.getConfiguration("mlforge.server");
    const found = discoverServer({
      setting: config.get<string | null>("path"),
      extensionPath: this.context.extensionPath,
      workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      homeDir: os.homedir(),
      pathVar: process.env.PATH,
      platform: process.platform,
      isExecutable,
    });
    if (!found.ok) {
      this.output.appendLine(found.message);
      const choice = await vscode.window.showErrorMessage(found.message, "Open Settings");
      if (choice === "Open Settings") {
        void vscode.commands.executeCommand("workbench.action.openSettings", "mlforge.server.path");
      }
      return;
    }
    this.binary = found.command;
    this.output.appendLine(`Starting ${found.command} lsp (found through ${found.source}).`);
    const extraEnv = config.get<Record<string, string>>("extraEnv", {});
    const serverOptions: ServerOptions = {
      command: found.command,
      args: ["lsp"],
      transport: TransportKind.stdio,
      options: { env: { ...process.env, ...extraEnv } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: "file", language: "mlforge" },
        { scheme: "untitled", language: "mlforge" },
        // The op library's read-only sources: hover and navigation inside them.
        { scheme: STD_SCHEME, language: "mlforge" },
      ],
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.mlf") },
      outputChannel: this.output,
      traceOutputChannel: this.trace,
      initializationOptions: { graphNotifications: true },
      errorHandler: this.errorHandler(),
    };
    // The id "mlforge" makes the client read the `mlforge.trace.server` setting.
    const client = new LanguageClient("mlforge", "MLForge Language Server", serverOptions, clientOptions);
    this.client = client;
    await client.start();
    for (const listener of this.listeners) listener(client);
  }

  async restart(): Promise<void> {
    this.crashes.reset();
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop(2000);
      } catch (error) {
        this.output.appendLine(`Stopping the server: ${String(error)}`);
      }
    }
  }

  dispose(): void {
    void this.stop();
    this.output.dispose();
    this.trace.dispose();
  }

  private errorHandler(): ErrorHandler {
    return {
      // A broken message is the server's to answer; keep the connection.
      error: () => ({ action: ErrorAction.Continue, handled: true }),
      closed: (): CloseHandlerResult => {
        if (this.crashes.onCrash(Date.now()) === "restart") {
          this.output.appendLine(`The server stopped; restarting it (${this.crashes.recentCrashes} in the last 3 minutes).`);
          return { action: CloseAction.Restart, handled: true };
        }
        const message =
          `The MLForge language server crashed ${this.crashes.recentCrashes} times in 3 minutes and will not be ` +
          `restarted automatically. See the "MLForge Language Server" output for its last words, then run ` +
          `"MLForge: Restart Server".`;
        void vscode.window.showErrorMessage(message, "Show Output", "Restart Server").then((choice) => {
          if (choice === "Show Output") this.output.show();
          if (choice === "Restart Server") void this.restart();
        });
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    };
  }
}

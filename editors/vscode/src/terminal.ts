// Until runs report to the graph, the lens commands run the CLI in a terminal, where the
// user sees its progress and can press Ctrl-C.

import * as vscode from "vscode";
import { shellQuote } from "./cli-args";

export function runInTerminal(binary: string, args: string[], cwd: string | undefined): void {
  const name = "MLForge";
  const terminal = vscode.window.terminals.find((t) => t.name === name) ?? vscode.window.createTerminal({ name, cwd });
  terminal.show(true);
  terminal.sendText([binary, ...args].map(shellQuote).join(" "));
}

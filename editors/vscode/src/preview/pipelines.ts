// Which pipeline of a document the preview shows: the one holding the cursor, else the one
// shown last for that document, else the first.

import * as vscode from "vscode";

export async function pipelinesOf(uri: vscode.Uri): Promise<vscode.DocumentSymbol[]> {
  const symbols = await vscode.commands.executeCommand<(vscode.DocumentSymbol | vscode.SymbolInformation)[]>(
    "vscode.executeDocumentSymbolProvider",
    uri,
  );
  // The server reports pipelines as classes (crates/lsp/src/to_proto.rs).
  return (symbols ?? []).filter(
    (s): s is vscode.DocumentSymbol => "range" in s && s.kind === vscode.SymbolKind.Class,
  );
}

export function pickPipeline(
  pipelines: vscode.DocumentSymbol[],
  cursor: vscode.Position | undefined,
  previous: string | undefined,
): string | undefined {
  if (cursor) {
    const holding = pipelines.find((p) => p.range.contains(cursor));
    if (holding) return holding.name;
  }
  if (previous && pipelines.some((p) => p.name === previous)) return previous;
  return pipelines[0]?.name;
}

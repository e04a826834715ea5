// "MLForge: Compare Graph with HEAD": `mlforge diff --git HEAD FILE --format json` drawn on
// the live graph: added, changed, renamed and re-running steps marked, removed ones listed.

import { execFile } from "node:child_process";
import * as path from "node:path";
import * as vscode from "vscode";
import type { GraphPreview } from "../preview/panel";
import { diffMarks, type DiffAnswer } from "./marks";

export async function compareWithHead(binary: string | undefined, preview: GraphPreview): Promise<void> {
  const editor = vscode.window.activeTextEditor?.document.languageId === "mlforge" ? vscode.window.activeTextEditor : preview.editor;
  if (!binary || !editor) {
    void vscode.window.showErrorMessage("Open an .mlf file (and let the MLForge server start) to compare its graph with HEAD.");
    return;
  }
  // The comparison reads the file from disk: the buffer is what the user means.
  if (editor.document.isDirty) await editor.document.save();
  const file = editor.document.uri.fsPath;
  await preview.show(editor);
  const answer = await new Promise<{ diff?: DiffAnswer; error?: string }>((resolve) =>
    execFile(binary, ["diff", "--git", "HEAD", file, "--format", "json"], { cwd: path.dirname(file), maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      // Exit 1 means "there are changes", not a failure.
      if (error && error.code !== 1) return resolve({ error: stderr.trim() || error.message });
      try {
        resolve({ diff: JSON.parse(stdout) });
      } catch {
        resolve({ error: stderr.trim() || "mlforge diff printed something that is not JSON." });
      }
    }),
  );
  if (!answer.diff) {
    void vscode.window.showErrorMessage(`Could not compare with HEAD: ${answer.error}`);
    return;
  }
  const marks = diffMarks(answer.diff, preview.currentAnswer?.pipeline);
  preview.post({ type: "diff", against: "HEAD", marks: marks.marks, removed: marks.removed });
  const choice = await vscode.window.showInformationMessage(
    answer.diff.changed ? `Compared with HEAD: ${marks.summary}` : "No semantic change since HEAD.",
    "Clear Marks",
  );
  if (choice === "Clear Marks") preview.post({ type: "diff", against: "HEAD", marks: {}, removed: [] });
}

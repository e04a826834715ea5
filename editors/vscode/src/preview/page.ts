// A webview panel showing the graph page (webview/): the live preview and the lineage
// picture both draw through it. It holds messages until the page says it is ready.

import * as vscode from "vscode";
import type { FromWebview, ToWebview } from "../protocol";
import { previewHtml } from "../../webview/src/html";

export class GraphPage implements vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  private ready = false;
  private pending: ToWebview[] = [];

  constructor(extensionUri: vscode.Uri, viewType: string, title: string, onMessage: (m: FromWebview) => void) {
    const webviewRoot = vscode.Uri.joinPath(extensionUri, "dist", "webview");
    this.panel = vscode.window.createWebviewPanel(
      viewType,
      title,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [webviewRoot] },
    );
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, "images", "mlf-file.svg");
    const asUri = (name: string) => this.panel.webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, name)).toString();
    this.panel.webview.html = previewHtml({
      cspSource: this.panel.webview.cspSource,
      nonce: makeNonce(),
      scriptUri: asUri("main.js"),
      styleUri: asUri("style.css"),
      workerUri: asUri("layout-worker.js"),
    });
    this.panel.webview.onDidReceiveMessage((m: FromWebview) => {
      if (m.type === "ready") {
        this.ready = true;
        for (const queued of this.pending.splice(0)) void this.panel.webview.postMessage(queued);
      }
      onMessage(m);
    });
  }

  post(message: ToWebview): void {
    if (!this.ready) this.pending.push(message);
    else void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    this.panel.dispose();
  }
}

function makeNonce(): string {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let nonce = "";
  for (let i = 0; i < 32; i++) nonce += chars.charAt(Math.floor(Math.random() * chars.length));
  return nonce;
}

/** Writes an exported SVG where the user says. */
export async function saveSvg(svg: string, suggested: vscode.Uri | undefined): Promise<void> {
  const target = await vscode.window.showSaveDialog({ defaultUri: suggested, filters: { SVG: ["svg"] } });
  if (!target) return;
  await vscode.workspace.fs.writeFile(target, Buffer.from(svg, "utf8"));
  void vscode.window.showInformationMessage(`Saved the graph to ${vscode.workspace.asRelativePath(target)}.`);
}

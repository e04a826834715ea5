// An artifact's lineage (`mlforge lineage TARGET --format json`), drawn by the same page as
// the graph preview: attempts as steps coloured by their status, artifacts as their own
// nodes. Clicking an artifact shows its own lineage; clicking an attempt opens its log.

import * as vscode from "vscode";
import type { FromWebview } from "../protocol";
import { GraphPage, saveSvg } from "../preview/page";
import { mlforgeJson } from "./cli";
import { lineageGraph, lineageStatuses, stepAddress, type Lineage } from "./model";

export class LineagePanel implements vscode.Disposable {
  private page: GraphPage | undefined;
  private lineage: Lineage | undefined;
  private seq = 0;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly binary: () => string | undefined,
    private readonly folder: () => string | undefined,
    private readonly openLog: (run: number, step: string) => Promise<void>,
  ) {}

  dispose(): void {
    this.page?.dispose();
  }

  async show(target: string): Promise<void> {
    const binary = this.binary();
    const folder = this.folder();
    if (!binary || !folder) return;
    let lineage: Lineage;
    try {
      lineage = await mlforgeJson<Lineage>(binary, ["lineage", target, "--format", "json"], folder);
    } catch (error) {
      void vscode.window.showErrorMessage(`No lineage for ${target}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    this.lineage = lineage;
    if (!this.page) {
      const page = new GraphPage(this.extensionUri, "mlforge.lineage", "MLForge Lineage", (m) => void this.onMessage(m));
      page.panel.onDidDispose(() => (this.page = undefined));
      this.page = page;
    } else {
      this.page.panel.reveal(vscode.ViewColumn.Beside, true);
    }
    this.page.panel.title = `Lineage: ${target}`;
    this.seq += 1;
    this.page.post({ type: "clearStatus" });
    this.page.post({
      type: "graph",
      seq: this.seq,
      uri: `mlforge-lineage:${target}`,
      answer: { pipeline: `lineage of ${target}`, graph: lineageGraph(lineage), stale: false },
      mode: "full",
      settings: { collapseAbove: 1_000_000, focusHops: 2 },
    });
    this.page.post({ type: "status", statuses: lineageStatuses(lineage) });
  }

  private async onMessage(message: FromWebview): Promise<void> {
    if (message.type === "exportSvg") return saveSvg(message.svg, undefined);
    if (message.type !== "reveal" || !this.lineage) return;
    const node = this.lineage.nodes.find((n) => n.id === message.node);
    if (!node) return;
    if (node.type === "artifact" && typeof node.hash === "string") return this.show(node.hash);
    if (node.type === "attempt" && typeof node.run_id === "number") {
      return this.openLog(node.run_id, stepAddress(String(node.step ?? node.name), typeof node.element === "string" ? node.element : ""));
    }
  }
}

// The palette: the ops and pipelines a step may call (the server's `mlforge/opCatalog`),
// searchable, each with its doc and signature; dragged onto the picture to add a step
// (Enter on one adds it to the pipeline's body).

import type { CatalogOp } from "../../src/protocol";
import { portLabel } from "./dot";

/** Ops matching every word of the query in their name, doc, file or port types: those the
 * file can call as it is (no import to add) first, then those whose name starts with the
 * query, then by name. */
export function filterOps(ops: readonly CatalogOp[], query: string): CatalogOp[] {
  const words = query.toLowerCase().split(/\s+/).filter((w) => w !== "");
  const text = (op: CatalogOp) => [op.name, op.doc ?? "", op.file, ...op.inputs.map(portLabel), ...op.outputs.map(portLabel)].join("\n").toLowerCase();
  const q = words.join(" ");
  return ops
    .filter((op) => words.every((w) => text(op).includes(w)))
    .sort(
      (a, b) =>
        Number(a.import != null) - Number(b.import != null) ||
        Number(!a.name.toLowerCase().startsWith(q)) - Number(!b.name.toLowerCase().startsWith(q)) ||
        a.name.localeCompare(b.name),
    );
}

/** One line for an op's signature: `(data: Dataset, lr: float) -> (model: Model)`. */
export function signatureLine(op: Pick<CatalogOp, "inputs" | "outputs">): string {
  const input = (i: CatalogOp["inputs"][number]) => `${portLabel(i)}${i.default != null ? ` = ${i.default}` : ""}`;
  return `(${op.inputs.map(input).join(", ")}) -> (${op.outputs.map(portLabel).join(", ")})`;
}

export class Palette {
  private ops: CatalogOp[] = [];
  private drag: { op: CatalogOp; x: number; y: number; ghost: HTMLElement | null } | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly search: HTMLInputElement,
    private readonly list: HTMLElement,
    /** A drag ended at a point of the page. */
    private readonly onDrop: (op: CatalogOp, clientX: number, clientY: number) => void,
    /** Enter on an op: add it to the pipeline's body. */
    private readonly onPick: (op: CatalogOp) => void,
  ) {
    search.addEventListener("input", () => this.render());
  }

  /** The ops to offer; null hides the palette (a picture that cannot be edited). */
  set(ops: CatalogOp[] | null): void {
    this.root.hidden = ops === null;
    this.ops = ops ?? [];
    this.render();
  }

  private render(): void {
    const shown = filterOps(this.ops, this.search.value);
    const items = shown.map((op) => this.item(op));
    if (items.length === 0) {
      const empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = this.ops.length === 0 ? "No ops in this workspace yet." : `No op matches “${this.search.value.trim()}”.`;
      items.push(empty);
    }
    this.list.replaceChildren(...items);
  }

  private item(op: CatalogOp): HTMLElement {
    const li = document.createElement("li");
    li.className = `op kind-${op.kind.replace(/[^a-z]/g, "")}`;
    li.tabIndex = 0;
    li.dataset.op = op.name;
    li.setAttribute("role", "option");
    const name = document.createElement("div");
    name.className = "name";
    name.textContent = op.name;
    const sig = document.createElement("div");
    sig.className = "signature";
    sig.textContent = signatureLine(op);
    li.append(name, sig);
    if (op.doc) {
      const doc = document.createElement("div");
      doc.className = "doc";
      doc.textContent = op.doc;
      li.append(doc);
    }
    if (op.import) {
      const imp = document.createElement("div");
      imp.className = "import";
      imp.textContent = `adds import "${op.import}"`;
      li.append(imp);
    }
    li.title = `${op.kind} ${op.name}${signatureLine(op)}\n${op.doc ?? ""}\nDrag onto the graph to add a step.`;
    li.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        this.onPick(op);
      }
    });
    li.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      li.setPointerCapture(e.pointerId);
      this.drag = { op, x: e.clientX, y: e.clientY, ghost: null };
    });
    li.addEventListener("pointermove", (e) => this.move(e));
    li.addEventListener("pointerup", (e) => {
      const drag = this.drag;
      this.end();
      if (drag?.ghost) this.onDrop(drag.op, e.clientX, e.clientY);
    });
    li.addEventListener("pointercancel", () => this.end());
    return li;
  }

  private move(e: PointerEvent): void {
    const d = this.drag;
    if (!d) return;
    if (!d.ghost) {
      if (Math.hypot(e.clientX - d.x, e.clientY - d.y) < 4) return;
      d.ghost = document.createElement("div");
      d.ghost.id = "drag-ghost";
      d.ghost.textContent = d.op.name;
      document.body.append(d.ghost);
      document.body.classList.add("dragging-op");
    }
    d.ghost.style.left = `${e.clientX + 8}px`;
    d.ghost.style.top = `${e.clientY + 8}px`;
  }

  private end(): void {
    this.drag?.ghost?.remove();
    this.drag = null;
    document.body.classList.remove("dragging-op");
  }
}

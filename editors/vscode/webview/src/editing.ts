// Gestures that edit the pipeline on the picture: dragging from an output port to an input
// port (only the inputs that can take it light up), dropping an op from the palette onto
// the canvas or into a `for`/`if` block, and renaming a step in place. What they do is a
// graph edit posted through the controller; the text changes in the extension.

import type { GraphAnswer } from "../../src/protocol";
import { Placement } from "./compat";
import type { View } from "./lod";
import type { Drawing } from "./render";

const SVG = "http://www.w3.org/2000/svg";

/** A point of the page in the drawing's coordinates. */
export function toDrawing(drawing: Drawing, clientX: number, clientY: number): { x: number; y: number } {
  const m = drawing.root.getScreenCTM();
  if (!m) return { x: clientX, y: clientY };
  const p = new DOMPoint(clientX, clientY).matrixTransform(m.inverse());
  return { x: p.x, y: p.y };
}

/** The block a point of the drawing falls in: the innermost expanded `for`/`if`/`else`
 * (or sub-pipeline: the step goes into its body, in its file) frame holding it, or a
 * collapsed one drawn there; null is the pipeline's body. */
export function blockAt(view: View, frames: ReadonlyMap<string, { x: number; y: number; w: number; h: number }>, boxes: ReadonlyMap<string, { x: number; y: number; w: number; h: number }>, at: { x: number; y: number }): string | null {
  const editable = (kind: string | undefined) => kind === "for" || kind === "if" || kind === "else" || kind === "pipeline";
  for (const n of view.nodes) {
    const b = boxes.get(n.id);
    if (n.kind === "collapsed" && editable(n.clusterKind) && b && Math.abs(at.x - b.x) * 2 <= b.w && Math.abs(at.y - b.y) * 2 <= b.h) return n.id;
  }
  let best: { id: string; area: number } | null = null;
  for (const c of view.clusters) {
    const f = frames.get(c.id);
    if (!f || !editable(c.kind) || at.x < f.x || at.x > f.x + f.w || at.y < f.y || at.y > f.y + f.h) continue;
    if (!best || f.w * f.h < best.area) best = { id: c.id, area: f.w * f.h };
  }
  return best?.id ?? null;
}

interface PortHit {
  node: string;
  port: string;
  type: string;
  dir: "in" | "out";
  element: SVGGElement;
}

export function portOf(target: EventTarget | null): PortHit | null {
  const el = (target as Element | null)?.closest?.<SVGGElement>("g[data-port]");
  const node = el?.closest<SVGGElement>("g.node")?.dataset.id;
  if (!el || node === undefined) return null;
  return { node, port: el.dataset.port!, type: el.dataset.type ?? "", dir: el.dataset.dir === "in" ? "in" : "out", element: el };
}

/** Drag from an output port to an input port. */
export class ConnectGesture {
  private drag: { from: PortHit; wire: SVGPathElement; start: { x: number; y: number } } | null = null;

  constructor(
    private readonly canvas: HTMLElement,
    private readonly context: () => { drawing: Drawing; answer: GraphAnswer } | null,
    private readonly connect: (from: { step: string; output: string }, to: { step: string; input: string }) => void,
  ) {
    // Before the viewport's own listener (a drag from a port is not a pan).
    canvas.addEventListener("pointerdown", (e) => this.down(e), { capture: true });
    canvas.addEventListener("pointermove", (e) => this.move(e));
    canvas.addEventListener("pointerup", (e) => this.up(e));
    canvas.addEventListener("pointercancel", () => this.end());
  }

  get active(): boolean {
    return this.drag !== null;
  }

  private down(e: PointerEvent): void {
    const ctx = this.context();
    const hit = portOf(e.target);
    if (!ctx || e.button !== 0 || !hit || hit.dir !== "out") return;
    e.stopPropagation();
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    const dot = hit.element.querySelector("circle.dot")!;
    const start = { x: Number(dot.getAttribute("cx")), y: Number(dot.getAttribute("cy")) };
    const wire = document.createElementNS(SVG, "path");
    wire.setAttribute("class", "wire");
    ctx.drawing.root.append(wire);
    this.drag = { from: hit, wire, start };
    // Light the inputs that can take this output; the rest are dimmed.
    const placement = new Placement(ctx.answer.graph);
    this.canvas.classList.add("connecting");
    hit.element.classList.add("source");
    ctx.drawing.root.querySelectorAll<SVGGElement>('g.node g[data-port][data-dir="in"]').forEach((pg) => {
      const to = pg.closest<SVGGElement>("g.node")!.dataset.id!;
      const ok = placement.canConnect(hit.node, hit.type, to, pg.dataset.type ?? "");
      pg.classList.add(ok ? "lit" : "unlit");
    });
    this.move(e);
  }

  private move(e: PointerEvent): void {
    const d = this.drag;
    const ctx = this.context();
    if (!d || !ctx) return;
    const p = toDrawing(ctx.drawing, e.clientX, e.clientY);
    const bend = Math.max(20, Math.abs(p.y - d.start.y) / 2);
    d.wire.setAttribute("d", `M${d.start.x},${d.start.y}C${d.start.x},${d.start.y + bend} ${p.x},${p.y - bend} ${p.x},${p.y}`);
    ctx.drawing.root.querySelectorAll(".port.hover").forEach((el) => el.classList.remove("hover"));
    const over = portOf(document.elementFromPoint(e.clientX, e.clientY));
    if (over?.element.classList.contains("lit")) over.element.classList.add("hover");
  }

  private up(e: PointerEvent): void {
    const d = this.drag;
    if (!d) return;
    const over = portOf(document.elementFromPoint(e.clientX, e.clientY));
    const lit = over?.element.classList.contains("lit") === true;
    this.end();
    if (over && over.dir === "in" && lit) {
      this.connect({ step: d.from.node, output: d.from.port }, { step: over.node, input: over.port });
    }
  }

  private end(): void {
    const d = this.drag;
    this.drag = null;
    if (!d) return;
    d.wire.remove();
    this.canvas.classList.remove("connecting");
    this.canvas.querySelectorAll(".lit, .unlit, .source, .hover").forEach((el) => el.classList.remove("lit", "unlit", "source", "hover"));
  }
}

/** A step name the language accepts. */
export const STEP_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** An input over a node's title: Enter renames, Escape or leaving cancels. */
export function renameInPlace(stage: HTMLElement, node: SVGGElement, current: string, done: (name: string) => void): void {
  stage.querySelector("#rename")?.remove();
  const box = node.getBoundingClientRect();
  const host = stage.getBoundingClientRect();
  const input = document.createElement("input");
  input.id = "rename";
  input.value = current;
  input.spellcheck = false;
  input.setAttribute("aria-label", `New name for step ${current}`);
  input.style.left = `${box.left - host.left}px`;
  input.style.top = `${box.top - host.top + box.height / 2 - 12}px`;
  input.style.width = `${Math.max(box.width, 120)}px`;
  let finished = false;
  const finish = (name: string | null) => {
    if (finished) return;
    finished = true;
    input.remove();
    if (name !== null && name !== current) done(name);
  };
  input.addEventListener("keydown", (e) => {
    e.stopPropagation();
    if (e.key === "Escape") finish(null);
    if (e.key !== "Enter") return;
    e.preventDefault();
    const name = input.value.trim();
    if (!STEP_NAME.test(name)) {
      input.setCustomValidity("A step name is letters, digits and _, not starting with a digit.");
      input.reportValidity();
      return;
    }
    finish(name);
  });
  input.addEventListener("blur", () => finish(null));
  stage.append(input);
  input.focus();
  input.select();
}

export interface PromptField {
  name: string;
  label: string;
  value: string;
  /** Offered values (e.g. the pipeline's list params for a `for`). */
  options?: string[];
}

/** A small form over the picture (wrapping steps in a block asks for its condition, or its
 * variable and list): OK sends the values, Escape or Cancel closes it. */
export function promptFields(stage: HTMLElement, title: string, fields: PromptField[], done: (values: Record<string, string>) => void): void {
  stage.querySelector("#prompt")?.remove();
  const form = document.createElement("form");
  form.id = "prompt";
  form.setAttribute("role", "dialog");
  form.setAttribute("aria-label", title);
  const heading = document.createElement("div");
  heading.className = "title";
  heading.textContent = title;
  form.append(heading);
  const inputs = fields.map((f) => {
    const label = document.createElement("label");
    label.textContent = f.label;
    const input = document.createElement("input");
    input.name = f.name;
    input.value = f.value;
    input.spellcheck = false;
    if (f.options?.length) {
      const list = document.createElement("datalist");
      list.id = `prompt-${f.name}`;
      for (const o of f.options) list.append(Object.assign(document.createElement("option"), { value: o }));
      input.setAttribute("list", list.id);
      label.append(list);
    }
    label.append(input);
    form.append(label);
    return input;
  });
  const ok = Object.assign(document.createElement("button"), { type: "submit", textContent: "OK" });
  const cancel = Object.assign(document.createElement("button"), { type: "button", textContent: "Cancel" });
  const buttons = document.createElement("div");
  buttons.className = "buttons";
  buttons.append(ok, cancel);
  form.append(buttons);
  cancel.addEventListener("click", () => form.remove());
  form.addEventListener("keydown", (e) => {
    e.stopPropagation();
    if (e.key === "Escape") form.remove();
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const values = Object.fromEntries(inputs.map((i) => [i.name, i.value.trim()]));
    if (Object.values(values).some((v) => v === "")) return;
    form.remove();
    done(values);
  });
  stage.append(form);
  inputs[0]?.focus();
}

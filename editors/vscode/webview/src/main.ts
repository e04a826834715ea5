// The graph preview page: wires the controller (what to do) to the DOM (toolbar, drawing,
// notes), the layout worker and the extension host.

import type { CatalogOp, DetailMode, FromWebview, ToWebview } from "../../src/protocol";
import { Controller, type Command, type Effects, type SavedState, type StatusMark } from "./controller";
import { blockAt, ConnectGesture, portOf, promptFields, renameInPlace, toDrawing } from "./editing";
import { exportSvg } from "./export";
import { Inspector } from "./form";
import { LayoutClient } from "./layout-client";
import { Palette } from "./palette";
import { Drawing } from "./render";
import { nearestInDirection, Viewport, type Direction } from "./viewport";

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const $ = <T extends HTMLElement>(selector: string) => document.querySelector<T>(selector)!;
const canvas = $("#canvas");
const notes = $("#notes");
const progress = $("#progress");
const message = $("#message");
const counts = $("#counts");
const search = $<HTMLInputElement>("#search");
const menu = $("#menu");
const stage = $("#stage");
const viewport = new Viewport(canvas);

/** Milliseconds of node building per task (a long task is 50 ms). */
const SLICE_MS = 12;

/** Runs `fn` in a task of its own, soon: a MessageChannel message, as nested
 * `setTimeout(0)`s are held back 4 ms each (dozens of slices of a big picture). */
const channel = new MessageChannel();
const queued: (() => void)[] = [];
channel.port1.onmessage = () => queued.shift()?.();
function nextTask(fn: () => void): void {
  queued.push(fn);
  channel.port2.postMessage(null);
}

let drawing: Drawing | null = null;
/** The node the arrow keys selected; kept across new pictures. */
let selected: string | null = null;
let progressTimer: ReturnType<typeof setInterval> | undefined;

function hideProgress(): void {
  clearInterval(progressTimer);
  progressTimer = undefined;
  progress.hidden = true;
}

function progressText(text: string): void {
  progress.hidden = false;
  progress.querySelector<HTMLElement>(".text")!.textContent = text;
}

/** Shown only when a layout takes long enough to notice, with the time so far. */
function showProgress(nodes: number): void {
  hideProgress();
  const started = performance.now();
  progressTimer = setInterval(() => {
    const elapsed = performance.now() - started;
    if (elapsed >= 300) progressText(`Laying out ${nodes.toLocaleString("en-US")} nodes… ${Math.floor(elapsed / 1000)} s`);
  }, 250);
}

const fx: Effects = {
  post: (m) => vscode.postMessage(m),
  layout(id, dot, view) {
    showProgress(view.nodes.length);
    layout.request({ id, dot });
  },
  cancelLayout() {
    hideProgress();
    layout.cancel();
  },
  draw(scene, view, done, pinned) {
    const start = performance.now();
    hideProgress();
    // After an edit, the nodes that stayed are moved over from the picture on screen.
    const current = new Drawing(scene, view, pinned ? drawing : null);
    drawing = current;
    current.markOne("selected", selected);
    canvas.replaceChildren(current.svg);
    viewport.attach(current.root, current.width, current.height);
    // Nodes in slices of a few milliseconds, each slice its own task, so the page stays
    // responsive while a picture of thousands of nodes appears.
    const slice = () => {
      if (drawing !== current) return; // replaced by a newer picture
      if (!current.build(performance.now() + SLICE_MS)) {
        progressText(`Drawing ${current.nodes.size.toLocaleString("en-US")} of ${current.size.toLocaleString("en-US")} nodes…`);
        nextTask(slice);
        return;
      }
      hideProgress();
      refreshInspector();
      // For benchmarks and profiles: the page's own share of a new picture.
      performance.measure("mlforge:draw", { start });
      done();
    };
    slice();
  },
  update(view) {
    const start = performance.now();
    drawing?.update(view);
    refreshInspector();
    performance.measure("mlforge:update", { start });
  },
  setCursor(id, scroll) {
    if (!drawing) return;
    drawing.markOne("cursor", id);
    const box = id === null ? undefined : drawing.boxes.get(id);
    if (box && scroll && !viewport.isVisible(box)) viewport.centre(box);
  },
  setStatuses(marks: ReadonlyMap<string, StatusMark>) {
    drawing?.setStatuses(marks);
  },
  setDiff(marks) {
    drawing?.setDiff(marks);
  },
  showMatch(id) {
    if (!drawing) return;
    drawing.markOne("match", id);
    const box = id === null ? undefined : drawing.boxes.get(id);
    if (box) viewport.centre(box, true);
  },
  setNote(kind, text) {
    let note = notes.querySelector<HTMLElement>(`.note.${kind}`);
    if (text === null) {
      note?.remove();
      return;
    }
    if (!note) {
      note = document.createElement("div");
      note.className = `note ${kind}`;
      note.setAttribute("role", kind === "search" || kind === "diff" ? "status" : "alert");
      notes.appendChild(note);
    }
    note.textContent = text;
  },
  showMessage(text) {
    message.hidden = text === null;
    message.textContent = text ?? "";
    canvas.hidden = text !== null;
  },
  setMode(mode, { shown, total }) {
    document.querySelectorAll<HTMLButtonElement>("[data-mode]").forEach((b) => b.setAttribute("aria-checked", String(b.dataset.mode === mode)));
    const n = (x: number) => x.toLocaleString("en-US");
    counts.textContent = shown === total ? `${n(total)} steps` : `${n(shown)} of ${n(total)} steps shown`;
  },
  command(command) {
    switch (command) {
      case "fit":
        return viewport.fit();
      case "zoomIn":
        return viewport.zoomBy(1.25);
      case "zoomOut":
        return viewport.zoomBy(0.8);
      case "search":
        search.focus();
        search.select();
        return;
      case "exportSvg":
        if (drawing) vscode.postMessage({ type: "exportSvg", svg: exportSvg(drawing) });
        return;
    }
  },
  setCatalog(ops) {
    palette.set(ops);
    document.body.classList.toggle("editable", ops !== null);
  },
  select(id) {
    selected = id;
    drawing?.markOne("selected", id);
    const node = id === null ? undefined : controller.node(id);
    inspector.show(controller.isEditable && node ? node : null);
  },
  saveState: (state) => vscode.setState(state),
  now: () => performance.now(),
};

/** The form shows the selected step's newest arguments. */
function refreshInspector(): void {
  const id = inspector.shown;
  if (id !== null) inspector.show(controller.isEditable ? controller.node(id) ?? null : null);
}

/** An op dropped at a point of the page: a new step there, in the block under it. */
function dropOp(op: CatalogOp, clientX: number, clientY: number): void {
  const r = stage.getBoundingClientRect();
  if (!controller.isEditable) return;
  if (clientX < r.left || clientX > r.right || clientY < r.top || clientY > r.bottom) return;
  const view = controller.current;
  const at = drawing && view && view.nodes.length > 0 ? toDrawing(drawing, clientX, clientY) : null;
  const block = at && drawing && view ? blockAt(view, drawing.clusterBoxes, drawing.boxes, at) : null;
  controller.edit({ kind: "addStep", op: op.name, name: null, block, index: null, import: op.import }, at);
}

const palette = new Palette($("#palette"), $<HTMLInputElement>("#op-search"), $("#ops"), dropOp, (op) =>
  controller.edit({ kind: "addStep", op: op.name, name: null, block: null, index: null, import: op.import }),
);
const inspector = new Inspector($("#inspector"), (step, input, value) => controller.edit({ kind: "setArg", step, input, value }));

const controller = new Controller(fx, vscode.getState() as SavedState | null);
const layout = new LayoutClient(
  document.body.dataset.workerUri ?? "",
  (reply) => {
    if (!reply.ok) hideProgress();
    controller.onLayout(reply);
  },
  (text) => {
    hideProgress();
    controller.onLayoutFailure(text);
  },
);
layout.warmUp();

function isToWebview(data: unknown): data is ToWebview {
  return typeof data === "object" && data !== null && typeof (data as { type?: unknown }).type === "string";
}

window.addEventListener("message", (event) => {
  if (!isToWebview(event.data)) return;
  try {
    controller.onMessage(event.data);
  } catch (error) {
    const text = `The graph preview failed on a “${event.data.type}” message: ${error instanceof Error ? error.message : String(error)}`;
    fx.setNote("error", text);
    vscode.postMessage({ type: "error", message: text });
  }
});

/** The drawn node (or cluster title) an event happened on. */
function target(event: Event): { kind: "node" | "cluster"; id: string } | null {
  const t = event.target as Element | null;
  const node = t?.closest<SVGGElement>("g.node");
  if (node?.dataset.id !== undefined) return { kind: "node", id: node.dataset.id };
  const cluster = t?.closest<SVGGElement>("g.cluster");
  if (cluster?.dataset.id !== undefined && t?.closest("text.cluster-label")) return { kind: "cluster", id: cluster.dataset.id };
  return null;
}

canvas.addEventListener("click", (event) => {
  hideMenu();
  const hit = target(event);
  // The second click of a double-click is the double-click's.
  if (!hit || event.detail > 1) return;
  if (hit.kind === "cluster") controller.toggleCluster(hit.id);
  else {
    controller.click(hit.id);
    if (controller.current?.nodes.find((n) => n.id === hit.id)?.kind === "step") fx.select(hit.id);
  }
});

new ConnectGesture(
  canvas,
  () => (drawing && controller.graph && controller.isEditable ? { drawing, answer: controller.graph } : null),
  (from, to) => controller.edit({ kind: "connect", from, to }),
);

function startRename(id: string): void {
  const g = drawing?.nodes.get(id);
  const node = controller.node(id);
  if (g && node && controller.isEditable) renameInPlace(stage, g, node.label, (name) => controller.rename(id, name));
}

/** The names `for` loops over in this graph so far (offered when wrapping in a `for`). */
function listParams(): string[] {
  const sources = (controller.graph?.graph.clusters ?? []).filter((c) => c.kind === "for" && c.source).map((c) => c.source!);
  return [...new Set(sources)];
}

function deleteStep(id: string): void {
  if (controller.isEditable && controller.node(id)) controller.edit({ kind: "deleteStep", step: id, cascade: false });
}

$("#tidy").addEventListener("click", () => controller.relayout());

canvas.addEventListener("pointerover", (event) => {
  const hit = target(event);
  if (hit?.kind === "node") drawing?.ensureTitle(hit.id);
});

canvas.addEventListener("dblclick", (event) => {
  const hit = target(event);
  const node = hit?.kind === "node" ? controller.current?.nodes.find((n) => n.id === hit.id) : undefined;
  if (node?.kind === "step") controller.focusOn(node.id);
});

function hideMenu(): void {
  menu.hidden = true;
  menu.replaceChildren();
}

canvas.addEventListener("contextmenu", (event) => {
  const hit = target(event);
  const view = controller.current;
  const port = controller.isEditable ? portOf(event.target) : null;
  const edge = controller.isEditable ? view?.edges.find((e) => e.id === (event.target as Element).closest<SVGGElement>("g.edge")?.dataset.id) : undefined;
  if ((!hit && !edge) || !view) return;
  event.preventDefault();
  const items: [string, () => void][] = [];
  if (port?.dir === "in" && port.element.classList.contains("given")) {
    items.push([`Disconnect ${port.port}`, () => controller.edit({ kind: "disconnect", step: port.node, input: port.port })]);
  }
  if (!hit && edge?.toPort !== undefined) {
    items.push([`Disconnect ${edge.to}.${edge.toPort}`, () => controller.edit({ kind: "disconnect", step: edge.to, input: edge.toPort! })]);
  }
  if (hit?.kind === "cluster") items.push(["Collapse", () => controller.toggleCluster(hit.id)]);
  const cluster = hit?.kind === "cluster" ? view.clusters.find((c) => c.id === hit.id) : undefined;
  if (controller.isEditable && cluster && ["for", "if", "else"].includes(cluster.kind)) items.push(["Unwrap", () => controller.edit({ kind: "unwrap", block: cluster.id })]);
  const node = hit ? view.nodes.find((n) => n.id === hit.id) : undefined;
  if (node?.kind === "step") {
    items.push(["Go to step", () => controller.click(node.id)]);
    items.push(["Focus here", () => controller.focusOn(node.id)]);
    items.push(["Run step", () => fx.post({ type: "run", node: node.id, kind: "runStep" })]);
    items.push(["Run from here", () => fx.post({ type: "run", node: node.id, kind: "runFrom" })]);
    if (controller.isEditable) {
      items.push(["Rename…", () => startRename(node.id)]);
      items.push(["Delete step", () => deleteStep(node.id)]);
      items.push(["Wrap in if…", () => promptFields(stage, `Run ${node.title} only if`, [{ name: "condition", label: "Condition", value: "" }], (v) => controller.edit({ kind: "wrapIf", steps: [node.id], condition: v.condition }))]);
      items.push([
        "Wrap in for…",
        () =>
          promptFields(stage, `Run ${node.title} for each item of a list`, [
            { name: "var", label: "Variable", value: "item" },
            { name: "over", label: "Over (a list param or a list)", value: "", options: listParams() },
          ], (v) => controller.edit({ kind: "wrapFor", steps: [node.id], var: v.var, over: v.over })),
      ]);
    }
  } else if (node?.kind === "collapsed") items.push(["Expand", () => controller.toggleCluster(node.id)]);
  else if (node?.kind === "stub") items.push(["Show more", () => controller.click(node.id)]);
  menu.replaceChildren(
    ...items.map(([label, run]) => {
      const b = document.createElement("button");
      b.type = "button";
      b.setAttribute("role", "menuitem");
      b.textContent = label;
      b.addEventListener("click", () => {
        hideMenu();
        run();
      });
      return b;
    }),
  );
  menu.style.left = `${event.clientX}px`;
  menu.style.top = `${event.clientY}px`;
  menu.hidden = false;
  // Near the bottom or the right edge, the menu opens upwards or leftwards.
  const box = menu.getBoundingClientRect();
  if (box.bottom > window.innerHeight) menu.style.top = `${Math.max(0, event.clientY - box.height)}px`;
  if (box.right > window.innerWidth) menu.style.left = `${Math.max(0, event.clientX - box.width)}px`;
});

// Keyboard: arrows move a selection between nodes (from the cursor's step at first),
// Enter acts as a click, Shift+Enter focuses the view on the selected step.
const ARROWS: Record<string, Direction> = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down" };

canvas.addEventListener("keydown", (event) => {
  const view = controller.current;
  if (!drawing || !view || view.nodes.length === 0) return;
  const direction = ARROWS[event.key];
  if (direction) {
    event.preventDefault();
    const from = selected !== null && drawing.boxes.has(selected) ? selected : drawing.root.querySelector<SVGGElement>("g.node.cursor")?.dataset.id;
    const next = from === undefined ? view.nodes[0].id : nearestInDirection(drawing.boxes, from, direction) ?? from;
    fx.select(next);
    const box = drawing.boxes.get(next);
    if (box && !viewport.isVisible(box)) viewport.centre(box);
    const node = view.nodes.find((n) => n.id === next);
    canvas.setAttribute("aria-label", `Pipeline graph: ${node ? [node.title, node.subtitle].filter((t) => t !== "").join(", ") : next}`);
  } else if ((event.key === "Delete" || event.key === "Backspace") && selected !== null) {
    event.preventDefault();
    deleteStep(selected);
  } else if (event.key === "F2" && selected !== null) {
    event.preventDefault();
    startRename(selected);
  } else if (event.key === "Enter" && selected !== null) {
    const node = view.nodes.find((n) => n.id === selected);
    if (!node) return;
    event.preventDefault();
    if (!event.shiftKey) controller.click(node.id);
    else if (node.kind === "step") controller.focusOn(node.id);
  }
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") hideMenu();
  if (event.target === search) {
    if (event.key === "Enter") {
      event.preventDefault();
      controller.searchNext(search.value, event.shiftKey);
    }
    return;
  }
  if ((event.ctrlKey || event.metaKey) && event.key === "f") {
    event.preventDefault();
    fx.command("search");
  } else if (event.target === canvas && (event.key === "+" || event.key === "=")) fx.command("zoomIn");
  else if (event.target === canvas && event.key === "-") fx.command("zoomOut");
  else if (event.target === canvas && event.key === "0") fx.command("fit");
});

search.addEventListener("input", () => {
  if (search.value.trim() === "") controller.searchNext("");
});

document.querySelectorAll<HTMLButtonElement>("[data-mode]").forEach((b) => b.addEventListener("click", () => controller.setMode(b.dataset.mode as DetailMode)));
document.querySelectorAll<HTMLButtonElement>("[data-action]").forEach((b) => b.addEventListener("click", () => fx.command(b.dataset.action as Command)));

vscode.postMessage({ type: "ready" });

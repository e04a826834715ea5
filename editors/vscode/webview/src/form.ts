// The side panel: the selected step's literal arguments as a form made from its signature
// (int, float, bool, string, lists of them, duration), each change sent as one `setArg`.
// Inputs of artifact types are connected on the picture, not typed here.

import type { ArgValue, GraphNode, SignatureInput } from "../../src/protocol";
import { parseType, type Type } from "./compat";

export type Literal = "int" | "float" | "bool" | "string" | "duration";

/** The kind of field for an input's type; null when it takes no literal (an artifact). */
export function fieldOf(type: string): { literal: Literal; list: boolean } | null {
  let t: Type | null = parseType(type);
  if (t?.kind === "optional") t = t.inner;
  let list = false;
  if (t?.kind === "list") {
    list = true;
    t = t.elem;
    if (t.kind === "optional") t = t.inner;
  }
  if (!t || !["int", "float", "bool", "string", "duration"].includes(t.kind)) return null;
  return { literal: t.kind as Literal, list };
}

const DURATION = /^\d+(\.\d+)?(ms|s|m|h|d)$/;

function parseOne(literal: Literal, text: string): ArgValue | string {
  const t = text.trim();
  switch (literal) {
    case "int":
      return /^-?\d+$/.test(t) ? Number(t) : `“${t}” is not a whole number.`;
    case "float":
      return t !== "" && Number.isFinite(Number(t)) ? Number(t) : `“${t}” is not a number.`;
    case "bool":
      return t === "true" ? true : t === "false" ? false : `“${t}” is not true or false.`;
    case "duration":
      return DURATION.test(t) ? { duration: t } : `“${t}” is not a duration: write a number and a unit (ms, s, m, h, d), e.g. 10m.`;
    case "string":
      return text;
  }
}

/** The value a field's text stands for, or a sentence saying what is wrong with it. */
export function parseField(type: string, text: string): { value: ArgValue } | { error: string } {
  const field = fieldOf(type);
  if (!field) return { error: `${type} is an artifact: connect it on the graph.` };
  if (!field.list) {
    const v = parseOne(field.literal, text);
    return typeof v === "string" && field.literal !== "string" ? { error: v } : { value: v };
  }
  const parts = text.trim() === "" ? [] : text.split(",");
  const values: ArgValue[] = [];
  for (const part of parts) {
    const v = parseOne(field.literal, field.literal === "string" ? part.trim() : part);
    if (typeof v === "string" && field.literal !== "string") return { error: `In the list: ${v}` };
    values.push(v);
  }
  return { value: values };
}

/** A literal's source text as the field shows it (`"line-fit"` → line-fit, `[1, 2]` →
 * 1, 2); null when the argument is an expression, not a literal. */
export function fieldText(source: string): string | null {
  const s = source.trim();
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(s) || s === "true" || s === "false" || DURATION.test(s)) return s;
  if (s.startsWith('"')) {
    try {
      return JSON.parse(s) as string;
    } catch {
      return null;
    }
  }
  if (s.startsWith("[") && s.endsWith("]")) {
    const inner = s.slice(1, -1).trim();
    if (inner === "") return "";
    const items = inner.split(",").map((x) => fieldText(x));
    return items.every((x) => x !== null) ? items.join(", ") : null;
  }
  return null;
}

export class Inspector {
  private node: GraphNode | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly onSet: (step: string, input: string, value: ArgValue | null) => void,
  ) {}

  get shown(): string | null {
    return this.node?.id ?? null;
  }

  /** The step whose form to show (null: none). A new graph shows the same step's new values. */
  show(node: GraphNode | null): void {
    // Keep the field being typed in when the same step comes back unchanged.
    if (node && this.node && node.id === this.node.id && JSON.stringify(node.args) === JSON.stringify(this.node.args) && JSON.stringify(node.signature) === JSON.stringify(this.node.signature)) return;
    this.node = node;
    this.root.hidden = node === null;
    if (!node) return this.root.replaceChildren();
    const title = document.createElement("h2");
    title.textContent = node.label;
    const sub = document.createElement("div");
    sub.className = "op";
    sub.textContent = node.op ? `${node.op}(…)` : node.kind;
    const parts: HTMLElement[] = [title, sub];
    if (node.signature?.doc) {
      const doc = document.createElement("p");
      doc.className = "doc";
      doc.textContent = node.signature.doc;
      parts.push(doc);
    }
    const inputs = node.signature?.inputs ?? [];
    const fields = inputs.filter((i) => fieldOf(i.type) !== null).map((i) => this.field(node, i));
    if (fields.length === 0) {
      const none = document.createElement("p");
      none.className = "none";
      none.textContent = node.signature ? "This step takes no literal arguments: connect its inputs on the graph." : "The step's op is not known: fix it in the text to edit its arguments.";
      parts.push(none);
    }
    const form = document.createElement("form");
    form.addEventListener("submit", (e) => e.preventDefault());
    form.append(...fields);
    parts.push(form);
    this.root.replaceChildren(...parts);
  }

  private field(node: GraphNode, input: SignatureInput): HTMLElement {
    const field = fieldOf(input.type)!;
    const source = node.args?.find((a) => a.name === input.name)?.value;
    const text = source === undefined ? null : fieldText(source);
    const row = document.createElement("div");
    row.className = "field";
    row.dataset.input = input.name;
    const label = document.createElement("label");
    const id = `arg-${input.name}`;
    label.htmlFor = id;
    label.textContent = `${input.name}: ${input.type}`;
    const hint = document.createElement("span");
    hint.className = "hint";
    hint.textContent = source !== undefined && text === null ? ` = ${source}` : input.required ? " required" : input.default != null ? ` default ${input.default}` : " optional";
    label.append(hint);
    const error = document.createElement("div");
    error.className = "error";
    error.setAttribute("role", "alert");
    const send = (value: ArgValue | null) => {
      error.textContent = "";
      this.onSet(node.id, input.name, value);
    };
    let control: HTMLInputElement;
    if (field.literal === "bool" && !field.list) {
      control = document.createElement("input");
      control.type = "checkbox";
      control.checked = text === "true";
      control.addEventListener("change", () => send(control.checked));
    } else {
      control = document.createElement("input");
      control.type = "text";
      control.spellcheck = false;
      control.value = text ?? "";
      control.placeholder = field.list ? "comma-separated" : field.literal === "duration" ? "e.g. 10m" : input.default ?? "";
      // Enter commits, and so does leaving the field: once per value.
      let last = source !== undefined ? text ?? "" : null;
      const commit = () => {
        if (control.value === last) return;
        if (control.value.trim() === "" && !field.list && field.literal !== "string") return;
        const parsed = parseField(input.type, control.value);
        if ("error" in parsed) return void (error.textContent = parsed.error);
        last = control.value;
        send(parsed.value);
      };
      control.addEventListener("keydown", (e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          commit();
        }
      });
      control.addEventListener("change", commit);
    }
    control.id = id;
    control.name = input.name;
    row.append(label, control);
    if (source !== undefined) {
      const clear = document.createElement("button");
      clear.type = "button";
      clear.className = "clear";
      clear.textContent = "✕";
      clear.title = `Remove the argument ${input.name}`;
      clear.setAttribute("aria-label", `Remove the argument ${input.name}`);
      clear.addEventListener("click", () => send(null));
      row.append(clear);
    }
    row.append(error);
    return row;
  }
}

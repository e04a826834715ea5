// The shapes `mlforge runs|show|lineage --format json` print, and what the runs view and the
// lineage picture make of them. Pure: unit-tested without VS Code.

import type { GraphModel, StepStatus } from "../protocol";

export interface RunSummary {
  id: number;
  pipeline: string;
  file: string;
  status: string;
  started_ms: number;
  ended_ms: number | null;
  error?: string | null;
  params?: Record<string, unknown>;
}

export interface Attempt {
  id: number;
  step: string;
  element: string; // "" outside loops, "1.0" for nested elements
  attempt: number;
  status: string;
  op?: string;
  started_ms?: number | null;
  ended_ms?: number | null;
  error?: string | null;
  cached_from?: number | null;
  log_path?: string | null;
}

export interface ShowStep {
  attempt: Attempt;
  metrics: { name: string; output: string; value: unknown }[];
  outputs: { name: string; artifact?: string; value?: unknown }[];
}

export interface ShowRun {
  run: RunSummary;
  steps: ShowStep[];
  metrics: { step: string; element: string; output: string; name: string; value: unknown }[];
}

export interface LineageNode {
  id: string;
  type: "artifact" | "attempt" | string;
  name: string;
  [k: string]: unknown;
}

export interface Lineage {
  root: string;
  direction: string;
  nodes: LineageNode[];
  edges: { from: string; to: string; label?: string }[];
}

export function duration(startMs?: number | null, endMs?: number | null): string {
  if (startMs == null || endMs == null) return "";
  const ms = endMs - startMs;
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** `fit[1,0]` for element "1.0": how `mlforge logs` and the event stream name an element. */
export function stepAddress(step: string, element: string): string {
  return element ? `${step}[${element.split(".").join(",")}]` : step;
}

export function runLabel(run: RunSummary, now: number): { label: string; description: string } {
  return {
    label: `#${run.id} ${run.pipeline}`,
    description: [run.status, duration(run.started_ms, run.ended_ms), ago(run.started_ms, now)].filter(Boolean).join(" · "),
  };
}

export function stepLabel(step: ShowStep): { label: string; description: string } {
  const a = step.attempt;
  const parts = [a.cached_from ? `cached from #${a.cached_from}` : a.status];
  if (!a.cached_from) parts.push(duration(a.started_ms, a.ended_ms));
  if (a.attempt > 1) parts.push(`attempt ${a.attempt}`);
  return { label: stepAddress(a.step, a.element), description: parts.filter(Boolean).join(" · ") };
}

/** Scalars as JSON, long values cut. */
export function valueText(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/** A lineage answer as the graph model the preview page draws: attempts as steps,
 * artifacts as their own kind of node, the edges labelled with the output or input name. */
export function lineageGraph(lineage: Lineage): GraphModel {
  return {
    pipeline: `lineage of ${lineage.root}`,
    file: "",
    nodes: lineage.nodes.map((n) => {
      if (n.type === "attempt") {
        const element = typeof n.element === "string" ? n.element : "";
        return {
          id: n.id,
          kind: "step",
          label: stepAddress(String(n.step ?? n.name), element),
          op: `run #${String(n.run_id)}${n.cached_from ? ` (cached from #${String(n.cached_from)})` : ""}`,
        };
      }
      const size = typeof n.size === "number" ? ` · ${n.size} B` : "";
      return { id: n.id, kind: "artifact", label: n.name, op: `${String(n.type_name ?? n.kind ?? "artifact")}${size}` };
    }),
    edges: lineage.edges.map((e, i) => ({ id: `e${i}`, from: e.from, to: e.to, kind: "data", label: e.label ?? "" })),
    clusters: [],
  };
}

/** The attempts' statuses for colouring the lineage picture. */
export function lineageStatuses(lineage: Lineage): Record<string, { status: StepStatus }> {
  const out: Record<string, { status: StepStatus }> = {};
  const known: StepStatus[] = ["queued", "running", "cached", "succeeded", "failed", "skipped", "cancelled"];
  for (const n of lineage.nodes) {
    const status = (n.cached_from ? "cached" : n.status) as StepStatus;
    if (n.type === "attempt" && known.includes(status)) out[n.id] = { status };
  }
  return out;
}

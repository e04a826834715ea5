// `mlforge run --events json` (crates/runner/EVENTS.md): one JSON object per line. This
// module parses the lines and folds them into one status per graph node, since the graph
// draws a `for` step once while the runner reports each of its elements.

import type { StepStatus } from "../protocol";

export interface RunEvent {
  event: string;
  run_id: number;
  time_ms: number;
  step?: string;
  element?: number[];
  attempt?: number;
  duration_ms?: number;
  error?: string;
  log_path?: string;
  /** The last lines of the step's log (an array of lines). */
  log_tail?: string[];
  reason?: string;
  status?: "succeeded" | "failed" | "cancelled";
  pipeline?: string;
  counts?: Record<string, number>;
  [key: string]: unknown;
}

/** Splits a chunk of standard output into complete lines, keeping a partial last line. */
export class LineSplitter {
  private rest = "";

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split("\n");
    this.rest = lines.pop() ?? "";
    return lines.filter((l) => l.trim() !== "");
  }

  end(): string[] {
    const last = this.rest.trim();
    this.rest = "";
    return last ? [last] : [];
  }
}

/** A line of the stream, or why it is not one. (Not `{error}`: events carry `error` too.) */
export type Parsed = { event: RunEvent } | { problem: string };

export function parseEvent(line: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: `not JSON: ${line.slice(0, 120)}` };
  }
  if (typeof value !== "object" || value === null || typeof (value as RunEvent).event !== "string") {
    return { problem: `not an event: ${line.slice(0, 120)}` };
  }
  return { event: value as RunEvent };
}

/** The status one event gives its step element; undefined for run-level events. */
export function statusOf(event: RunEvent): StepStatus | undefined {
  switch (event.event) {
    case "step_queued":
      return "queued";
    case "step_started":
    case "step_retrying": // it runs again after a pause
      return "running";
    case "step_succeeded":
      return "succeeded";
    case "step_cached":
      return "cached";
    case "step_failed":
      return "failed";
    case "step_skipped":
      return "skipped";
    case "step_cancelled":
      return "cancelled";
    default:
      return undefined;
  }
}

// When the elements of one step differ, the node shows the one that matters most: a failure
// first, then work in progress, then what is done.
const PRECEDENCE: StepStatus[] = ["failed", "cancelled", "running", "queued", "succeeded", "cached", "skipped"];

export interface NodeStatus {
  status: StepStatus;
  durationMs?: number;
  /** Elements of a `for` step in each status, e.g. {succeeded: 2, running: 1}. */
  elements?: Partial<Record<StepStatus, number>>;
  attempt?: number;
  error?: string;
  logPath?: string;
  logTail?: string;
}

export class RunState {
  private readonly elements = new Map<string, Map<string, { status: StepStatus; durationMs?: number }>>();
  private readonly details = new Map<string, { attempt?: number; error?: string; logPath?: string; logTail?: string }>();
  runId: number | undefined;
  pipeline: string | undefined;
  finished: RunEvent | undefined;
  /** Steps whose status changed since the last `takeChanged`. */
  private changed = new Set<string>();

  apply(event: RunEvent): void {
    this.runId ??= event.run_id;
    if (event.event === "run_started") this.pipeline = event.pipeline;
    if (event.event === "run_finished") this.finished = event;
    const status = statusOf(event);
    if (!status || !event.step) return;
    const key = (event.element ?? []).join(".");
    let perStep = this.elements.get(event.step);
    if (!perStep) this.elements.set(event.step, (perStep = new Map()));
    // A skip without an element covers every element of the step.
    if (status === "skipped" && key === "") perStep.clear();
    perStep.set(key, { status, durationMs: event.duration_ms ?? perStep.get(key)?.durationMs });
    const detail = this.details.get(event.step) ?? {};
    if (event.attempt !== undefined) detail.attempt = event.attempt;
    if (event.log_path) detail.logPath = event.log_path;
    if (event.event === "step_failed" || event.event === "step_retrying") detail.error = event.error;
    if (Array.isArray(event.log_tail)) detail.logTail = event.log_tail.join("\n");
    this.details.set(event.step, detail);
    this.changed.add(event.step);
  }

  node(step: string): NodeStatus | undefined {
    const perStep = this.elements.get(step);
    if (!perStep || perStep.size === 0) return undefined;
    const counts: Partial<Record<StepStatus, number>> = {};
    let durationMs: number | undefined;
    for (const { status, durationMs: d } of perStep.values()) {
      counts[status] = (counts[status] ?? 0) + 1;
      if (d !== undefined) durationMs = Math.max(durationMs ?? 0, d);
    }
    const status = PRECEDENCE.find((s) => counts[s]) ?? "queued";
    const detail = this.details.get(step) ?? {};
    return { status, durationMs, elements: perStep.size > 1 ? counts : undefined, ...detail };
  }

  steps(): string[] {
    return [...this.elements.keys()];
  }

  /** The statuses of the steps changed since the last call, for the preview. */
  takeChanged(): Record<string, { status: StepStatus; durationMs?: number }> {
    const out: Record<string, { status: StepStatus; durationMs?: number }> = {};
    for (const step of this.changed) {
      const node = this.node(step);
      if (node) out[step] = { status: node.status, durationMs: node.durationMs };
    }
    this.changed.clear();
    return out;
  }

  /** Every step's status (for a preview that opens or redraws during a run). */
  all(): Record<string, { status: StepStatus; durationMs?: number }> {
    const out: Record<string, { status: StepStatus; durationMs?: number }> = {};
    for (const step of this.steps()) {
      const node = this.node(step)!;
      out[step] = { status: node.status, durationMs: node.durationMs };
    }
    return out;
  }
}

/** "3 succeeded, 2 cached, 1 skipped" from run_finished's counts. */
export function summarise(counts: Record<string, number> | undefined): string {
  if (!counts) return "";
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(", ");
}

/** One entry of `mlforge plan --format json`. */
export interface PlanEntry {
  step: string;
  element?: number[];
  status: "will_run" | "cached" | "unknown" | string;
  changes?: unknown[];
  note?: string;
}

/** A plan as the statuses the graph shows before a run: what will run is queued, what the
 * cache holds is cached; a step whose inputs are not known yet gets no colour. */
export function planStatuses(entries: PlanEntry[]): Record<string, { status: StepStatus }> {
  const state = new RunState();
  for (const entry of entries) {
    const event = entry.status === "will_run" ? "step_queued" : entry.status === "cached" ? "step_cached" : undefined;
    if (event) state.apply({ event, step: entry.step, element: entry.element, run_id: 0, time_ms: 0 });
  }
  return Object.fromEntries(Object.entries(state.all()).map(([k, v]) => [k, { status: v.status }]));
}

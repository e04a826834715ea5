import { test } from "node:test";
import assert from "node:assert/strict";
import { LineSplitter, parseEvent, RunState, statusOf, summarise, type RunEvent } from "../../src/run/events";
import { paramArgs, paramsToAsk, typeText } from "../../src/run/params";

const base = { run_id: 7, time_ms: 0 };
const ev = (e: Partial<RunEvent> & { event: string }): RunEvent => ({ ...base, ...e }) as RunEvent;

test("every step event kind of EVENTS.md maps to a status; run events to none", () => {
  const expected: Record<string, string | undefined> = {
    run_started: undefined,
    step_queued: "queued",
    step_started: "running",
    step_retrying: "running",
    step_succeeded: "succeeded",
    step_cached: "cached",
    step_failed: "failed",
    step_skipped: "skipped",
    step_cancelled: "cancelled",
    run_finished: undefined,
    something_new: undefined,
  };
  for (const [kind, status] of Object.entries(expected)) assert.equal(statusOf(ev({ event: kind, step: "s" })), status, kind);
});

test("lines: split across chunks, blank lines ignored, the partial last line kept for later", () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('{"a":1}\n{"b"'), ['{"a":1}']);
  assert.deepEqual(s.push(':2}\n\n{"c":3}'), ['{"b":2}']);
  assert.deepEqual(s.end(), ['{"c":3}']);
  assert.deepEqual(s.end(), []);
});

const eventOf = (line: string) => (parseEvent(line) as { event: RunEvent }).event;
const problemOf = (line: string) => (parseEvent(line) as { problem: string }).problem;

test("parse: events (those with an `error` field too), and clear problems for what is not one", () => {
  assert.equal(eventOf('{"event":"step_queued","step":"a","run_id":1,"time_ms":2}').step, "a");
  const failed = eventOf('{"event":"step_failed","step":"a","error":"exited with status 3","log_tail":[],"run_id":1,"time_ms":2}');
  assert.equal(failed.event, "step_failed");
  assert.equal(failed.error, "exited with status 3");
  assert.match(problemOf("Traceback (most recent call last):"), /not JSON/);
  assert.match(problemOf("[1,2]"), /not an event/);
  assert.match(problemOf("null"), /not an event/);
});

test("a step goes queued → running → succeeded with its duration", () => {
  const s = new RunState();
  s.apply(ev({ event: "run_started", pipeline: "p" }));
  s.apply(ev({ event: "step_queued", step: "a" }));
  assert.equal(s.node("a")?.status, "queued");
  s.apply(ev({ event: "step_started", step: "a", attempt: 1, log_path: "/l/a.a1.log" }));
  assert.equal(s.node("a")?.status, "running");
  s.apply(ev({ event: "step_succeeded", step: "a", attempt: 1, duration_ms: 250 }));
  assert.deepEqual(s.node("a"), { status: "succeeded", durationMs: 250, elements: undefined, attempt: 1, logPath: "/l/a.a1.log" });
  assert.equal(s.pipeline, "p");
  assert.equal(s.runId, 7);
});

test("retries: running again, the failed attempt's error kept, then the final outcome", () => {
  const s = new RunState();
  s.apply(ev({ event: "step_started", step: "a", attempt: 1 }));
  s.apply(ev({ event: "step_retrying", step: "a", attempt: 1, delay_ms: 500, error: "exited with status 3" }));
  assert.equal(s.node("a")?.status, "running");
  assert.equal(s.node("a")?.error, "exited with status 3");
  s.apply(ev({ event: "step_started", step: "a", attempt: 2 }));
  s.apply(ev({ event: "step_failed", step: "a", attempt: 2, duration_ms: 10, error: "timed out after 1m", log_tail: ["boom", "bang"] }));
  const node = s.node("a")!;
  assert.equal(node.status, "failed");
  assert.equal(node.attempt, 2);
  assert.equal(node.error, "timed out after 1m");
  assert.equal(node.logTail, "boom\nbang");
});

test("fan-out: one node for every element, the most telling status wins, longest duration", () => {
  const s = new RunState();
  s.apply(ev({ event: "step_cached", step: "fit", element: [0], from_run: 1 }));
  s.apply(ev({ event: "step_succeeded", step: "fit", element: [1], duration_ms: 300 }));
  s.apply(ev({ event: "step_started", step: "fit", element: [2] }));
  assert.equal(s.node("fit")?.status, "running");
  assert.deepEqual(s.node("fit")?.elements, { cached: 1, succeeded: 1, running: 1 });
  s.apply(ev({ event: "step_succeeded", step: "fit", element: [2], duration_ms: 900 }));
  assert.equal(s.node("fit")?.status, "succeeded");
  assert.equal(s.node("fit")?.durationMs, 900);
  // Nested loops: elements are paths.
  s.apply(ev({ event: "step_failed", step: "inner", element: [1, 0], error: "x" }));
  s.apply(ev({ event: "step_succeeded", step: "inner", element: [1, 1] }));
  assert.equal(s.node("inner")?.status, "failed");
});

test("all cached is cached; a skip without an element covers the whole step", () => {
  const s = new RunState();
  s.apply(ev({ event: "step_cached", step: "a", element: [0] }));
  s.apply(ev({ event: "step_cached", step: "a", element: [1] }));
  assert.equal(s.node("a")?.status, "cached");
  s.apply(ev({ event: "step_skipped", step: "b", reason: "its `if` condition is false" }));
  assert.equal(s.node("b")?.status, "skipped");
  s.apply(ev({ event: "step_queued", step: "c", element: [0] }));
  s.apply(ev({ event: "step_skipped", step: "c", reason: "its list had no value" }));
  assert.deepEqual(s.node("c"), { status: "skipped", durationMs: undefined, elements: undefined });
});

test("cancellation: running steps become cancelled, and the run's end is kept", () => {
  const s = new RunState();
  s.apply(ev({ event: "step_started", step: "slow", attempt: 1 }));
  s.apply(ev({ event: "step_cancelled", step: "slow", attempt: 1, duration_ms: 1200 }));
  s.apply(ev({ event: "run_finished", status: "cancelled", duration_ms: 1300, counts: { succeeded: 0, cached: 2, failed: 0, skipped: 0, cancelled: 1 } }));
  assert.equal(s.node("slow")?.status, "cancelled");
  assert.equal(s.finished?.status, "cancelled");
  assert.equal(summarise(s.finished?.counts), "2 cached, 1 cancelled");
});

test("the preview gets only what changed since the last message, and everything on demand", () => {
  const s = new RunState();
  s.apply(ev({ event: "step_started", step: "a" }));
  s.apply(ev({ event: "step_started", step: "b" }));
  assert.deepEqual(s.takeChanged(), { a: { status: "running", durationMs: undefined }, b: { status: "running", durationMs: undefined } });
  assert.deepEqual(s.takeChanged(), {});
  s.apply(ev({ event: "step_succeeded", step: "a", duration_ms: 5 }));
  assert.deepEqual(s.takeChanged(), { a: { status: "succeeded", durationMs: 5 } });
  assert.deepEqual(Object.keys(s.all()).sort(), ["a", "b"]);
});

test("a recorded stream of the quickstart folds into the statuses the graph must show", () => {
  const stream = [
    { event: "run_started", pipeline: "quickstart", steps: 6 },
    { event: "step_cached", step: "data", from_run: 1 },
    { event: "step_queued", step: "parts" },
    { event: "step_started", step: "parts", attempt: 1 },
    { event: "step_succeeded", step: "parts", attempt: 1, duration_ms: 40 },
    ...[0, 1, 2].flatMap((i) => [
      { event: "step_started", step: "fitted", element: [i], attempt: 1 },
      { event: "step_succeeded", step: "fitted", element: [i], attempt: 1, duration_ms: 100 + i },
      { event: "step_succeeded", step: "check", element: [i], attempt: 1, duration_ms: 20 },
    ]),
    { event: "step_succeeded", step: "best", attempt: 1, duration_ms: 15 },
    { event: "step_skipped", step: "release", reason: "its `if` condition is false" },
    { event: "run_finished", status: "succeeded", duration_ms: 700, counts: { succeeded: 8, cached: 1, failed: 0, skipped: 1, cancelled: 0 } },
  ];
  const s = new RunState();
  const split = new LineSplitter();
  const text = stream.map((e) => JSON.stringify({ ...base, ...e })).join("\n") + "\n";
  // Fed in awkward chunks, as a pipe delivers them.
  for (let i = 0; i < text.length; i += 37) for (const line of split.push(text.slice(i, i + 37))) s.apply(eventOf(line));
  const statuses = Object.fromEntries(Object.entries(s.all()).map(([k, v]) => [k, v.status]));
  assert.deepEqual(statuses, { data: "cached", parts: "succeeded", fitted: "succeeded", check: "succeeded", best: "succeeded", release: "skipped" });
  assert.equal(s.all().fitted.durationMs, 102);
  assert.equal(s.finished?.status, "succeeded");
});

test("params: only those without a default or a configured value are asked; values as --param", () => {
  const params = [
    { name: "rates", type: { kind: "list", of: { kind: "float" } }, default: [0.1] },
    { name: "data", type: { kind: "artifact", name: "Dataset" } },
    { name: "seed", type: { kind: "int" } },
  ];
  assert.deepEqual(paramsToAsk(params, { seed: 3 }).map((p) => p.name), ["data"]);
  assert.deepEqual(paramArgs({ data: "in.csv", rates: [0.1, 1], ok: true }), ["--param", "data=in.csv", "--param", "rates=[0.1,1]", "--param", "ok=true"]);
  assert.equal(typeText(params[0].type), "list<float>");
  assert.equal(typeText(params[1].type), "Dataset");
  assert.equal(typeText({ kind: "optional", of: { kind: "int" } }), "int?");
});

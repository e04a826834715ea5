// A recorded `mlforge run --events json` of the quickstart, replayed onto its graph through
// the extension's own folding (src/run/events.ts) in bursts as a pipe delivers them: every
// node ends in the right colour with its duration; a failure and a skip show as such.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { answerOf, fixture, importModule, root, startHarness } from "./harness.mjs";

let h;
let events;
before(async () => {
  events = await importModule("src/run/events.ts");
  h = await startHarness();
});
after(() => h?.close());

const stream = readFileSync(join(root, "test/webview/fixtures/quickstart-events.jsonl"), "utf8");

async function replay(p, text) {
  const state = new events.RunState();
  const splitter = new events.LineSplitter();
  for (let i = 0; i < text.length; i += 211) {
    for (const line of splitter.push(text.slice(i, i + 211))) {
      const parsed = events.parseEvent(line);
      if ("event" in parsed) state.apply(parsed.event);
    }
    await p.send({ type: "status", statuses: state.takeChanged() });
  }
  for (const line of splitter.end()) state.apply(events.parseEvent(line).event);
  await p.send({ type: "status", statuses: state.takeChanged() });
  return state;
}

async function marks(page) {
  return page.$$eval("g.node", (gs) =>
    Object.fromEntries(gs.map((g) => [g.dataset.id, { status: [...g.classList].find((c) => c.startsWith("status-"))?.slice(7) ?? null, badge: g.querySelector("text.badge")?.textContent ?? null }])),
  );
}

test("a real run's events colour every node succeeded, with durations", async () => {
  const p = await h.open();
  await p.graph(1, answerOf(fixture("quickstart.json")));
  const state = await replay(p, stream);
  assert.equal(state.finished.status, "succeeded");
  await p.page.waitForFunction(() => document.querySelectorAll("g.node.status-succeeded").length === 6);
  const m = await marks(p.page);
  for (const id of ["data", "parts", "fitted", "check", "best", "release"]) {
    assert.equal(m[id].status, "succeeded", id);
    assert.match(m[id].badge, /^succeeded · \d/, `${id} shows its duration`);
  }
  await p.screenshot("run-status-succeeded");
  await p.close();
});

test("a failure, a skip and a cache hit in one stream", async () => {
  const lines = stream.trim().split("\n").map((l) => JSON.parse(l));
  // The same run, but data came from the cache, release's branch was not taken and best failed.
  const edited = lines
    .filter((e) => !(e.step === "data" && e.event !== "step_succeeded") && e.step !== "release")
    .map((e) => {
      if (e.step === "data") return { event: "step_cached", step: "data", from_run: 1, run_id: 2, time_ms: e.time_ms };
      if (e.step === "best" && e.event === "step_succeeded") return { ...e, event: "step_failed", error: "exited with status 1", log_tail: ["boom"] };
      return e;
    });
  edited.splice(edited.length - 1, 0, { event: "step_skipped", step: "release", reason: "its `if` condition is false", run_id: 2, time_ms: 0 });
  const p = await h.open();
  await p.graph(1, answerOf(fixture("quickstart.json")));
  await replay(p, edited.map((e) => JSON.stringify(e)).join("\n") + "\n");
  await p.page.waitForFunction(() => document.querySelector('g.node[data-id="best"]')?.classList.contains("status-failed"));
  const m = await marks(p.page);
  assert.equal(m.data.status, "cached");
  assert.equal(m.best.status, "failed");
  assert.equal(m.release.status, "skipped");
  assert.equal(m.fitted.status, "succeeded");
  await p.close();
});

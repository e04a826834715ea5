// Benchmark (not a test): a real `mlforge run --events json` of 1,000 no-op steps streamed
// onto the graph preview page in headless Chromium, through the extension's own event
// folding (src/run/events.ts) and its 30 ms batching. Reports, per step, the time from the
// event's line reaching the extension to the node's new colour on the page; whether every
// node ended succeeded (no event dropped); and the page's longest main-thread task.
//   node bench/run-stream.mjs [--steps N]     (needs target/release/mlforge, or MLFORGE_BIN)
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { importModule, root, startHarness } from "../test/webview/harness.mjs";

const stepsArg = process.argv.indexOf("--steps");
const STEPS = stepsArg > 0 ? Number(process.argv[stepsArg + 1]) : 1000;
const FLUSH_MS = 30; // as src/run/session.ts batches
const bin = process.env.MLFORGE_BIN ?? resolve(root, "../../target/release/mlforge");

const dir = mkdtempSync(join(tmpdir(), "mlforge-stream-"));
const lines = ['op noop(i: int) {\n  shell """\n    true\n  """\n}\npipeline bench() {'];
for (let i = 0; i < STEPS; i++) lines.push(`  step s${i} = noop(i: ${i})`);
writeFileSync(join(dir, "flat.mlf"), `${lines.join("\n")}\n}\n`);
const graph = JSON.parse(execFileSync(bin, ["graph", "--format", "json", "flat.mlf"], { cwd: dir, maxBuffer: 1 << 28 }).toString());

const { LineSplitter, parseEvent, RunState } = await importModule("src/run/events.ts");

const h = await startHarness();
const p = await h.open();
const drawn = await p.graph(1, { pipeline: "bench", graph, stale: false }, "full", { collapseAbove: 40, focusHops: 2 });
console.log(`drew ${drawn.nodes} nodes in ${drawn.layoutMs} ms`);
await p.page.evaluate(() => {
  window.__coloured = {};
  window.__longest = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
  }).observe({ type: "longtask", buffered: false });
  new MutationObserver((records) => {
    const now = performance.timeOrigin + performance.now();
    for (const r of records) {
      const g = r.target;
      if (g.classList?.contains("status-succeeded") && !(g.dataset.id in window.__coloured)) window.__coloured[g.dataset.id] = now;
    }
  }).observe(document.getElementById("canvas"), { attributes: true, attributeFilter: ["class"], subtree: true });
});

const arrived = {};
const state = new RunState();
let flush;
// As the extension posts to its webview: fire and forget (messages keep their order).
const sends = [];
const push = () => {
  flush = undefined;
  const statuses = state.takeChanged();
  sends.push(p.send({ type: "status", statuses }));
};
const splitter = new LineSplitter();
const started = performance.now();
await new Promise((done) => {
  const child = spawn(bin, ["run", "flat.mlf", "--events", "json", "--jobs", "2"], { cwd: dir, stdio: ["ignore", "pipe", "inherit"] });
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    const now = performance.timeOrigin + performance.now();
    for (const line of splitter.push(chunk)) {
      const parsed = parseEvent(line);
      if (!("event" in parsed)) continue;
      if (parsed.event.event === "step_succeeded") arrived[parsed.event.step] = now;
      state.apply(parsed.event);
      flush ??= setTimeout(push, FLUSH_MS);
    }
  });
  child.on("close", done);
});
clearTimeout(flush);
push();
await Promise.all(sends);
const runMs = performance.now() - started;
await p.page.waitForFunction((n) => Object.keys(window.__coloured).length >= n, STEPS, { timeout: 30_000 }).catch(() => {});
const { coloured, longest, final } = await p.page.evaluate(() => ({
  coloured: window.__coloured,
  longest: window.__longest,
  final: document.querySelectorAll("g.node.status-succeeded").length,
}));
const latencies = Object.entries(arrived).map(([step, t]) => (coloured[step] ?? Infinity) - t).sort((a, b) => a - b);
const pct = (q) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)].toFixed(0);
console.log(`run of ${STEPS} no-op steps streamed in ${(runMs / 1000).toFixed(2)} s`);
console.log(`event line → node colour: median ${pct(0.5)} ms, p95 ${pct(0.95)} ms, max ${pct(1)} ms`);
console.log(`nodes succeeded on the page: ${final} of ${STEPS}; longest main-thread task during the run: ${longest.toFixed(0)} ms`);
await p.close();
await h.close();
rmSync(dir, { recursive: true, force: true });

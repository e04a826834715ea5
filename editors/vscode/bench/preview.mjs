// Benchmark of the graph preview page in headless Chromium: the time from posting a
// `graph` message to the page's `rendered` message, for edits that change the structure
// (a new layout in the worker) and edits that change only texts (updated in place).
// Not a test: `node bench/preview.mjs [--runs 20]` prints a table and writes it into
// bench/README.md between the markers.
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { answerOf, fixture, root, startHarness } from "../test/webview/harness.mjs";

const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;
const WARMUP = 2;
/** `--whole`: also draw all 5,461 steps of the 5,000-step pipeline once (about a minute). */
const WHOLE = process.argv.includes("--whole");
let whole = null;
const settings = { collapseAbove: 40, focusHops: 2 };

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { median: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] };
}

/** A copy of an answer with one more step (fed by `from`): a structural edit. */
function withExtraStep(answer, from, n) {
  const copy = structuredClone(answer);
  copy.graph.nodes.push({ id: `extra_${n}`, kind: "step", label: `extra_${n}`, op: "noop" });
  copy.graph.edges.push({ id: `data:extra_${n}`, from, to: `extra_${n}`, kind: "data", type: "Dataset" });
  return copy;
}

/** A copy with another op on one step: a label-only edit. */
function withOp(answer, node, op) {
  const copy = structuredClone(answer);
  copy.graph.nodes.find((x) => x.id === node).op = op;
  return copy;
}

/** Posts graphs to a page and times each from the message to the page's `rendered`. */
function poster(p, mode) {
  let seq = 0;
  return async (a) => {
    seq += 1;
    const message = { type: "graph", seq, uri: "file:///bench.mlf", answer: a, mode, settings };
    // Timed in the page: from posting the message to the page's `rendered` message.
    const started = await p.page.evaluate((m) => {
      const t = performance.now();
      window.postMessage(m, "*");
      return t;
    }, message);
    const rendered = await p.rendered(seq, 600_000);
    const ended = await p.page.evaluate((s) => window.__postedAt[window.__posted.findIndex((m) => m.type === "rendered" && m.seq === s)], seq);
    return { ms: ended - started, rendered };
  };
}

const longestTask = async (p) => Math.max(0, ...(await p.page.evaluate(() => window.__longTasks.map((t) => t.duration))));

async function scenario(h, name, answer, mode) {
  const p = await h.open({ width: 1200, height: 900 });
  const post = poster(p, mode);
  const first = await post(answer);
  const anchor = answer.focus ?? answer.graph.nodes[0].id;
  const relayout = [];
  const inPlace = [];
  const layoutMs = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    // Alternate between two structures so that every message needs a new layout.
    const r = await post(i % 2 === 0 ? withExtraStep(answer, anchor, i) : answer);
    if (!r.rendered.relaidOut) throw new Error(`${name}: a structural edit was not laid out again`);
    if (i >= WARMUP) {
      relayout.push(r.ms);
      layoutMs.push(r.rendered.layoutMs);
    }
  }
  await post(answer); // back to the base structure
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const r = await post(withOp(answer, anchor, `op_${i}`));
    if (r.rendered.relaidOut) throw new Error(`${name}: a label-only edit was laid out again`);
    if (i >= WARMUP) inPlace.push(r.ms);
  }
  const longest = await longestTask(p);
  await p.close();
  return { name, nodes: first.rendered.nodes, first: first.ms, relayout: stats(relayout), layoutMs: stats(layoutMs), inPlace: stats(inPlace), longest };
}

const loadBefore = loadavg()[0];
const h = await startHarness();
const results = [];
try {
  const quick = answerOf(fixture("quickstart.json"));
  const s300 = answerOf(fixture("synthetic-300.json.gz"));
  // The language server's answer: two hops around a step in the middle.
  const focus = fixture("synthetic-5000-focus.json");
  results.push(await scenario(h, "quickstart, full (6 steps)", quick, "full"));
  results.push(await scenario(h, "300-step pipeline, full (327 steps)", s300, "full"));
  results.push(await scenario(h, "5,000-step pipeline, focus view (2 hops)", focus, "focus"));
  if (WHOLE) {
    // Once: every one of the 5,000-step pipeline's steps (what "full" asks for).
    const p = await h.open({ width: 1200, height: 900 });
    await p.page.evaluate(() => (window.__longTasks.length = 0));
    const r = await poster(p, "full")(answerOf(fixture("synthetic-5000.json.gz")));
    whole = { ms: r.ms, layoutMs: r.rendered.layoutMs, nodes: r.rendered.nodes, longest: await longestTask(p) };
    await p.close();
  }
} finally {
  await h.close();
}

const f = (ms) => `${Math.round(ms)}`;
const lines = [
  `| graph | drawn nodes | first picture (ms) | re-layout median / p95 (ms) | of which layout + drawing, median | in place median / p95 (ms) | longest main-thread task (ms) |`,
  `|---|---|---|---|---|---|---|`,
  ...results.map((r) => `| ${r.name} | ${r.nodes} | ${f(r.first)} | ${f(r.relayout.median)} / ${f(r.relayout.p95)} | ${f(r.layoutMs.median)} | ${f(r.inPlace.median)} / ${f(r.inPlace.p95)} | ${f(r.longest)} |`),
];
if (whole) {
  lines.push("", `All ${whole.nodes.toLocaleString("en-US")} steps of the 5,000-step pipeline at once (\`--whole\`, one run): ${(whole.ms / 1000).toFixed(1)} s to the picture, the longest task on the page's thread ${f(whole.longest)} ms.`);
}
const table = lines.join("\n");
console.log(table);

const readme = join(root, "bench/README.md");
const begin = "<!-- preview:begin -->";
const end = "<!-- preview:end -->";
const text = readFileSync(readme, "utf8");
const from = text.indexOf(begin);
const to = text.indexOf(end);
if (from < 0 || to < from) throw new Error(`${readme} lacks the ${begin} … ${end} markers.`);
const cpu = cpus()[0]?.model ?? "unknown CPU";
// The machine is shared: the load says how much of it the page had.
const load = `load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after`;
const stamp = `${RUNS} runs each after ${WARMUP} warm-up runs; ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpu} (${load}), Chromium headless, minified build.`;
writeFileSync(readme, `${text.slice(0, from + begin.length)}\n${stamp}\n\n${table}\n${text.slice(to)}`);

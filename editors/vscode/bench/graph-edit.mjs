// Benchmark (not a test): from a gesture on the graph to the updated picture, with the real
// language server. The preview page runs in headless Chromium as in the tests; this script
// plays the extension between the page and `mlforge lsp`: it answers the page's `edit` with
// `mlforge/graphEdit` (the version the picture was drawn from), applies the returned text
// edits to its copy of the document, sends it to the server (didChange), asks
// `mlforge/graph` and posts the answer to the page. Timed in the page, from the moment it
// posts the edit (the end of the gesture) to its `rendered` message for the new graph:
//   drop     an op dragged from the palette onto the canvas (a new step, placed where dropped)
//   connect  a drag from an output port onto an input port that lights up (an argument replaced)
// on the quickstart and on a 300-step pipeline (mlforge-synth 300). VS Code's own part
// (applying the WorkspaceEdit, the message passing) is left out; the keystroke benchmark in
// code-server shows it is a few milliseconds.
//   node bench/graph-edit.mjs [--samples N]   (MLFORGE_BIN: the server, default target/release/mlforge)
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { root, startHarness } from "../test/webview/harness.mjs";
import { startServer } from "../webview/tools/lsp.mjs";

const repo = resolve(root, "../..");
const samplesArg = process.argv.indexOf("--samples");
const SAMPLES = samplesArg > 0 ? Number(process.argv[samplesArg + 1]) : 10;
const mlforge = process.env.MLFORGE_BIN ?? join(repo, "target/release/mlforge");
const settings = { collapseAbove: 40, focusHops: 2 };

const folder = mkdtempSync(join(tmpdir(), "mlforge-bench-edit-"));
cpSync(join(repo, "examples", "quickstart.mlf"), join(folder, "quickstart.mlf"));
execFileSync("cargo", ["run", "--release", "-q", "-p", "mlforge-synth", "--", "300", join(folder, "s300")], { cwd: repo, stdio: "inherit" });

/** LSP text edits applied to a text (positions in UTF-16 units, as LSP's default). */
function applyTextEdits(text, edits) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  const offset = (p) => Math.min(text.length, (starts[p.line] ?? text.length) + p.character);
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  for (const e of sorted) text = text.slice(0, offset(e.range.start)) + e.newText + text.slice(offset(e.range.end));
  return text;
}

function textEditsOf(workspaceEdit, uri) {
  const out = [];
  for (const change of workspaceEdit.documentChanges ?? []) if (change.textDocument?.uri === uri) out.push(...change.edits);
  for (const [u, edits] of Object.entries(workspaceEdit.changes ?? {})) if (u === uri) out.push(...edits);
  return out;
}

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { median: Math.round(at(0.5)), p95: Math.round(at(0.95)), n: values.length };
}

/** The page, the server and one document between them, as the extension holds them. */
async function session(h, file) {
  const uri = pathToFileURL(file).href;
  const original = readFileSync(file, "utf8");
  const server = await startServer(mlforge, pathToFileURL(folder).href);
  let text = original;
  let version = 1;
  let seq = 0;
  const versionOfSeq = new Map();
  server.notify("textDocument/didOpen", { textDocument: { uri, languageId: "mlforge", version, text } });
  const p = await h.open({ width: 1400, height: 900 });
  // When each graph message reaches the page (as text, before it is parsed).
  await p.page.evaluate(() => (window.__graphAt = {}));
  const catalog = await server.request("mlforge/opCatalog", { uri });
  await p.send({ type: "catalog", ops: catalog.result.ops });
  let pipeline = null;
  const showGraph = async () => {
    const answer = (await server.request("mlforge/graph", { uri, dot: false })).result;
    pipeline = answer.pipeline;
    seq += 1;
    versionOfSeq.set(seq, version);
    // As one string, parsed in the page: Playwright's own serialization of a 400 kB object
    // takes a second, far more than VS Code's message passing.
    await p.page.evaluate(
      ([json, seq]) => {
        window.__graphAt[seq] = performance.now();
        window.postMessage(JSON.parse(json), "*");
      },
      [JSON.stringify({ type: "graph", seq, uri, answer, mode: "full", settings, editable: true }), seq],
    );
    return p.rendered(seq, 600_000);
  };
  const setText = (next) => {
    text = next;
    version += 1;
    server.notify("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ text }] });
  };
  await showGraph();
  let handled = 0;
  return {
    p,
    /** Answers the page's newest edit as the extension does; the time from its post to the picture, or null when refused. */
    async answerEdit() {
      const handle = await p.page.waitForFunction((n) => window.__posted.filter((m) => m.type === "edit").length > n, handled, { polling: 5 });
      await handle.dispose();
      const posted = await p.posted();
      const index = posted.findIndex((m, i) => m.type === "edit" && posted.slice(0, i).filter((x) => x.type === "edit").length === handled);
      handled += 1;
      const message = posted[index];
      const t0 = performance.now();
      const reply = await server.request("mlforge/graphEdit", { uri, version: versionOfSeq.get(message.seq), pipeline, edit: message.edit });
      const editMs = performance.now() - t0;
      if (reply.error) {
        await p.send({ type: "editResult", id: message.id, ok: false, error: reply.error.message });
        return { ms: null, error: reply.error.message };
      }
      setText(applyTextEdits(text, textEditsOf(reply.result.edit, uri)));
      await p.send({ type: "editResult", id: message.id, ok: true, select: reply.result.select });
      await showGraph();
      const ms = await p.page.evaluate(({ index, seq }) => {
        const rendered = window.__posted.findIndex((m) => m.type === "rendered" && m.seq === seq);
        return window.__postedAt[rendered] - window.__postedAt[index];
      }, { index, seq });
      const pinned = (await p.posted()).find((m) => m.type === "rendered" && m.seq === seq)?.pinned === true;
      // The page's share: from the graph message's arrival (as text) to its picture.
      const pageMs = await p.page.evaluate((seq) => window.__postedAt[window.__posted.findIndex((m) => m.type === "rendered" && m.seq === seq)] - window.__graphAt[seq], seq);
      return { ms, pinned, editMs, pageMs };
    },
    /** Back to the file as it was (laid out anew, not timed). */
    async reset() {
      setText(original);
      await showGraph();
    },
    async close() {
      await p.close();
      await server.close();
    },
  };
}

const centre = (r) => ({ x: r.x + r.width / 2, y: r.y + r.height / 2 });

async function drag(page, from, to) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 12, from.y + 12, { steps: 2 });
  await page.mouse.move(to.x, to.y, { steps: 4 });
  await page.mouse.up();
}

/** Drags the palette's `op` onto an empty corner of the canvas. */
async function drop(s, op) {
  const item = await s.p.page.$eval(`#ops li[data-op="${op}"]`, (e) => e.getBoundingClientRect().toJSON());
  const canvas = await s.p.page.$eval("#canvas", (e) => e.getBoundingClientRect().toJSON());
  await drag(s.p.page, centre(item), { x: canvas.x + canvas.width - 40, y: canvas.y + 40 });
  return s.answerEdit();
}

/** Centres the view on step `to` and drags, from the nearest visible output that lights its
 * input `input` up, a new connection into it. */
async function connect(s, to, input) {
  const page = s.p.page;
  await page.fill("#search", to);
  await page.press("#search", "Enter");
  const target = `g.node[data-id="${to}"] g[data-port="${input}"][data-dir="in"] circle.dot`;
  const at = centre(await page.$eval(target, (e) => e.getBoundingClientRect().toJSON()));
  const candidates = await page.$$eval('g[data-dir="out"] circle.dot', (dots, [to, at]) => {
    const c = document.querySelector("#canvas").getBoundingClientRect();
    return dots
      .map((d) => ({ node: d.closest("g.node").dataset.id, port: d.parentElement.dataset.port, r: d.getBoundingClientRect().toJSON() }))
      .filter((x) => x.node !== to && x.r.x > c.x && x.r.y > c.y && x.r.x < c.right && x.r.y < c.bottom)
      .sort((a, b) => Math.hypot(a.r.x - at.x, a.r.y - at.y) - Math.hypot(b.r.x - at.x, b.r.y - at.y));
  }, [to, at]);
  for (const c of candidates) {
    const from = centre(c.r);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(from.x + 6, from.y + 6, { steps: 2 });
    const lit = await page.$eval(target, (d) => d.parentElement.classList.contains("lit"));
    if (!lit) {
      await page.mouse.move(from.x + 200, from.y - 200, { steps: 2 });
      await page.mouse.up();
      continue;
    }
    await page.mouse.move(at.x, at.y, { steps: 4 });
    await page.mouse.up();
    const result = await s.answerEdit();
    if (result.ms !== null) return { ...result, from: `${c.node}.${c.port}` };
  }
  return { ms: null, error: `nothing lights ${to}.${input} up` };
}

const load = loadavg()[0];
const h = await startHarness();
const rows = [];
try {
  for (const [name, file, op, target] of [
    ["quickstart (6 steps)", join(folder, "quickstart.mlf"), "score", ["check", "data"]],
    ["300-step pipeline (327 steps)", join(folder, "s300", "main.mlf"), null, null],
  ]) {
    const s = await session(h, file);
    const ops = await s.p.page.$$eval("#ops li.op", (els) => els.map((e) => e.dataset.op));
    const dropOp = op ?? ops[0];
    // The 300-step pipeline: a drawn step in the middle, and its first given input.
    const [to, input] =
      target ??
      (await s.p.page.$$eval('g.node.step g[data-dir="in"].given', (gs) => {
        const g = gs[Math.floor(gs.length / 2)];
        return [g.closest("g.node").dataset.id, g.dataset.port];
      }));
    const results = { drop: [], connect: [], pinned: 0, refused: [], parts: { edit: [], page: [] } };
    const part = (r) => {
      results.parts.edit.push(r.editMs);
      results.parts.page.push(r.pageMs);
    };
    for (let i = 0; i < SAMPLES + 1; i++) {
      const d = await drop(s, dropOp);
      if (d.ms === null) results.refused.push(d.error);
      else if (i > 0) results.drop.push(d.ms), (results.pinned += d.pinned ? 1 : 0), part(d);
      await s.reset();
      const c = await connect(s, to, input);
      if (c.ms === null) results.refused.push(c.error);
      else if (i > 0) results.connect.push(c.ms), (results.pinned += c.pinned ? 1 : 0), part(c);
      await s.reset();
    }
    const parts = Object.fromEntries(Object.entries(results.parts).map(([k, v]) => [k, stats(v).median]));
    rows.push({ name, drop: stats(results.drop), connect: stats(results.connect), pinned: results.pinned, refused: results.refused, dropOp, to: `${to}.${input}`, parts });
    console.log(name, JSON.stringify(rows.at(-1)));
    await s.close();
  }
} finally {
  await h.close();
  rmSync(folder, { recursive: true, force: true });
}

const cpu = cpus()[0]?.model ?? "unknown CPU";
const table = [
  `${SAMPLES} samples each after one warm-up; ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpu} (load average ${load.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after), Chromium headless, minified build, release server.`,
  "",
  "| pipeline | drop → picture, median / p95 (ms) | connect → picture, median / p95 (ms) | of which `mlforge/graphEdit`, median | of which the page (message received → picture), median | pictures drawn without a new layout |",
  "|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.name} | ${r.drop.median} / ${r.drop.p95} | ${r.connect.median} / ${r.connect.p95} | ${r.parts.edit} | ${r.parts.page} | ${r.pinned} of ${r.drop.n + r.connect.n} |`),
].join("\n");
console.log(table);
const readme = join(root, "bench", "README.md");
const text = readFileSync(readme, "utf8");
const begin = "<!-- graph-edit:begin -->";
const end = "<!-- graph-edit:end -->";
if (text.includes(begin)) writeFileSync(readme, `${text.slice(0, text.indexOf(begin) + begin.length)}\n${table}\n${text.slice(text.indexOf(end))}`);

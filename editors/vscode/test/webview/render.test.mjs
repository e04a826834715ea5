// The preview page draws graph JSON from the real CLI: nodes, clusters, edge types, broken
// marks, statuses and themes; hostile labels stay text.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { answerOf, fixture, startHarness } from "./harness.mjs";

/** Distinct theme colours, to see which one a node is drawn with. */
const VARS = {
  "--vscode-editor-background": "rgb(30, 30, 30)",
  "--vscode-foreground": "rgb(204, 204, 204)",
  "--vscode-errorForeground": "rgb(255, 0, 0)",
  "--vscode-focusBorder": "rgb(0, 127, 212)",
  "--vscode-charts-green": "rgb(0, 200, 0)",
  "--vscode-charts-blue": "rgb(0, 0, 255)",
  "--vscode-charts-red": "rgb(200, 0, 0)",
  "--vscode-charts-purple": "rgb(128, 0, 128)",
};

let h;
before(async () => (h = await startHarness()));
after(() => h?.close());

async function nodes(page) {
  return page.$$eval("g.node", (gs) => gs.map((g) => ({ id: g.dataset.id, cls: g.getAttribute("class"), lines: [...g.querySelectorAll("text.line")].map((t) => t.textContent), title: g.querySelector("title")?.textContent })));
}

test("the quickstart: every step with its op, the for and if clusters, edges labelled with types", async () => {
  const p = await h.open({ vars: VARS });
  const r = await p.graph(1, answerOf(fixture("quickstart.json")));
  assert.equal(r.relaidOut, true);
  assert.equal(r.nodes, 6);
  assert.ok(r.layoutMs > 0);
  assert.deepEqual(
    (await nodes(p.page)).map((n) => [n.id, ...n.lines]),
    [
      ["data", "data", "make_data"],
      ["parts", "parts", "split"],
      ["fitted", "fitted", "fit"],
      ["check", "check", "score"],
      ["best", "best", "pick_best"],
      ["release", "release", "publish"],
    ],
  );
  const clusters = await p.page.$$eval("g.cluster", (gs) => gs.map((g) => [g.dataset.id, g.querySelector(".cluster-label").textContent]));
  assert.deepEqual(clusters, [
    ["for#1", "▾ for lr in rates · 3 items"],
    ["if#1", "▾ if best.mse <= max_mse"],
  ]);
  // Steps sit inside their clusters' frames.
  const inside = await p.page.evaluate(() => {
    const box = (sel) => document.querySelector(sel).getBoundingClientRect();
    const frame = box('g.cluster[data-id="for#1"] rect');
    const fitted = box('g.node[data-id="fitted"] rect');
    return fitted.left >= frame.left && fitted.right <= frame.right && fitted.top >= frame.top && fitted.bottom <= frame.bottom;
  });
  assert.ok(inside);
  const labels = await p.page.$$eval("g.edge text.edge-label", (ts) => ts.map((t) => t.textContent));
  assert.ok(labels.includes("Dataset") && labels.includes("Model"), labels.join(", "));
  assert.equal(await p.page.$$eval("g.edge", (gs) => gs.length), 8);
  await p.screenshot("quickstart-dark");
  assert.deepEqual(p.errors, []);
  await p.close();
});

test("a broken step is drawn in the theme's error colour and shows its diagnostic", async () => {
  const p = await h.open({ vars: VARS });
  await p.graph(1, answerOf(fixture("quickstart-broken.json")));
  const check = (await nodes(p.page)).find((n) => n.id === "check");
  assert.match(check.cls, /\bbroken\b/);
  assert.match(check.title, /error E0205: the step `parts` \(`split`\) has no output named `tset`/);
  const strokes = await p.page.evaluate(() => ({
    broken: getComputedStyle(document.querySelector('g.node[data-id="check"] rect.shape')).stroke,
    fine: getComputedStyle(document.querySelector('g.node[data-id="parts"] rect.shape')).stroke,
  }));
  assert.equal(strokes.broken, "rgb(255, 0, 0)");
  assert.notEqual(strokes.fine, "rgb(255, 0, 0)");
  await p.screenshot("quickstart-broken");
  await p.close();
});

test("statuses colour the nodes and show durations; clearStatus removes them", async () => {
  const p = await h.open({ vars: VARS });
  await p.graph(1, answerOf(fixture("quickstart.json")));
  await p.send({ type: "status", statuses: { data: { status: "succeeded", durationMs: 1200 }, parts: { status: "running" }, fitted: { status: "failed", durationMs: 45 }, check: { status: "cached" } } });
  const marks = await p.page.evaluate(() =>
    Object.fromEntries(
      ["data", "parts", "fitted", "check", "best"].map((id) => {
        const g = document.querySelector(`g.node[data-id="${id}"]`);
        return [id, [getComputedStyle(g.querySelector("rect.shape")).stroke, g.querySelector("text.badge")?.textContent ?? ""]];
      }),
    ),
  );
  assert.deepEqual(marks.data, ["rgb(0, 200, 0)", "succeeded · 1.2 s"]);
  assert.deepEqual(marks.parts, ["rgb(0, 0, 255)", "running"]);
  assert.deepEqual(marks.fitted, ["rgb(200, 0, 0)", "failed · 45 ms"]);
  assert.deepEqual(marks.check, ["rgb(128, 0, 128)", "cached"]);
  assert.equal(marks.best[1], "");
  await p.screenshot("quickstart-statuses");
  await p.send({ type: "clearStatus" });
  assert.equal(await p.page.$$eval("g.node[class*=status-], text.badge", (gs) => gs.length), 0);
  await p.close();
});

test("light, dark and high-contrast themes", async () => {
  const themes = {
    "vscode-light": { "--vscode-editor-background": "rgb(255, 255, 255)", "--vscode-foreground": "rgb(51, 51, 51)" },
    "vscode-dark": { "--vscode-editor-background": "rgb(30, 30, 30)", "--vscode-foreground": "rgb(204, 204, 204)" },
    "vscode-high-contrast": { "--vscode-editor-background": "rgb(0, 0, 0)", "--vscode-foreground": "rgb(255, 255, 255)", "--vscode-contrastBorder": "rgb(111, 195, 223)" },
  };
  const seen = {};
  for (const [theme, vars] of Object.entries(themes)) {
    const p = await h.open({ theme, vars });
    await p.graph(1, answerOf(fixture("quickstart-broken.json")));
    seen[theme] = await p.page.evaluate(() => {
      const shape = getComputedStyle(document.querySelector('g.node[data-id="data"] rect.shape'));
      return { bg: getComputedStyle(document.body).backgroundColor, text: getComputedStyle(document.querySelector('g.node[data-id="data"] text.name')).fill, stroke: shape.stroke, width: shape.strokeWidth };
    });
    await p.screenshot(`quickstart-${theme.replace("vscode-", "")}`);
    await p.close();
  }
  assert.equal(seen["vscode-light"].bg, "rgb(255, 255, 255)");
  assert.equal(seen["vscode-light"].text, "rgb(51, 51, 51)");
  assert.equal(seen["vscode-dark"].text, "rgb(204, 204, 204)");
  assert.equal(seen["vscode-high-contrast"].stroke, "rgb(111, 195, 223)");
  assert.equal(seen["vscode-high-contrast"].width, "2px");
  assert.equal(seen["vscode-dark"].width, "1px");
});

test("hostile labels, ops, conditions, types and diagnostics are drawn as text", async () => {
  const p = await h.open({ vars: VARS });
  const graph = fixture("hostile.json");
  await p.graph(1, answerOf(graph));
  const drawn = await nodes(p.page);
  for (const n of graph.nodes) {
    const d = drawn.find((x) => x.id === n.id);
    assert.ok(d, `node ${n.id} drawn`);
    assert.equal(d.lines[0], n.label);
    assert.equal(d.lines[1], n.op);
  }
  assert.match(drawn.find((n) => n.id === "check").title, /<script>alert\(4\)<\/script> the step `x"y` has no output named `\]\]>`/);
  const clusterTitle = await p.page.$eval('g.cluster[data-id="for#1"] .cluster-label', (t) => t.textContent);
  assert.equal(clusterTitle, "▾ for lr in <script>alert(5)</script> · 3 items");
  const types = await p.page.$$eval("g.edge text.edge-label", (ts) => ts.map((t) => t.textContent));
  assert.ok(types.includes('<Dataset>&"'));
  // Search results are text too.
  await p.page.fill("#search", "script");
  await p.page.press("#search", "Enter");
  assert.equal(await p.page.$eval("#notes .note.search", (n) => n.textContent), "1 of 2: <script>alert(1)</script>");
  // Nothing ran, nothing was injected.
  const dom = await p.page.evaluate(() => ({
    scripts: document.querySelectorAll("script").length,
    injected: document.querySelectorAll("img, iframe, b, foreignObject, svg script").length,
  }));
  assert.deepEqual(dom, { scripts: 1, injected: 0 });
  await p.send({ type: "command", command: "exportSvg" });
  const svg = (await p.posted()).find((m) => m.type === "exportSvg")?.svg;
  assert.ok(svg?.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
  const parsed = await p.page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    return { error: doc.querySelector("parsererror") !== null, scripts: doc.querySelectorAll("script").length, texts: [...doc.querySelectorAll("text")].map((t) => t.textContent) };
  }, svg);
  assert.equal(parsed.error, false);
  assert.equal(parsed.scripts, 0);
  assert.ok(parsed.texts.includes("</text><script>alert(3)</script>"));
  assert.deepEqual(p.dialogs, []);
  assert.deepEqual(p.errors, []);
  await p.screenshot("hostile-labels");
  await p.close();
});

// An artifact's lineage, as the Runs view opens it: `mlforge lineage … --format json` (a
// recorded answer of the real CLI) turned into a graph by src/runs/model.ts and drawn by the
// preview page; attempts coloured by status; hostile names stay text.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { answerOf, fixture, importModule, startHarness } from "./harness.mjs";

let h;
let model;
before(async () => {
  model = await importModule("src/runs/model.ts");
  h = await startHarness();
});
after(() => h?.close());

async function drawn(page) {
  return page.$$eval("g.node", (gs) => gs.map((g) => ({ id: g.dataset.id, cls: g.getAttribute("class"), lines: [...g.querySelectorAll("text.line")].map((t) => t.textContent) })));
}

test("the release bundle's lineage: every attempt and artifact, attempts coloured by status", async () => {
  const lineage = fixture("lineage-release.json");
  const p = await h.open();
  const r = await p.graph(1, answerOf(model.lineageGraph(lineage)));
  assert.equal(r.nodes, lineage.nodes.length);
  await p.send({ type: "status", statuses: model.lineageStatuses(lineage) });
  await p.page.waitForFunction(() => document.querySelectorAll('g.node[class*="status-"]').length > 0);
  const nodes = await drawn(p.page);
  assert.deepEqual(nodes.map((n) => n.id).sort(), lineage.nodes.map((n) => n.id).sort());
  // Each attempt in the colour of its recorded status (a reused result is cached).
  for (const n of lineage.nodes.filter((n) => n.type === "attempt")) {
    const expected = n.cached_from ? "cached" : n.status;
    assert.match(nodes.find((d) => d.id === n.id).cls, new RegExp(`status-${expected}`), n.id);
  }
  // Artifacts say what they are under their name.
  const bundle = nodes.find((n) => n.lines[0] === "bundle");
  assert.match(bundle.lines[1], /^Dir · \d+ B$/);
  assert.equal(await p.page.locator("g.edge").count() > 0, true);
  await p.screenshot("lineage-release");
  await p.close();
});

test("hostile step and artifact names show as text: nothing injected, no script runs", async () => {
  const lineage = structuredClone(fixture("lineage-release.json"));
  const evil = ['<script>window.__pwned=1</script>', '"><img src=x onerror="window.__pwned=2">', "]]></text><script>window.__pwned=3</script>", "{{x}} ${y} $(z) \\ '"];
  lineage.nodes.forEach((n, i) => {
    n.name = evil[i % evil.length];
    if (n.type === "attempt") n.step = n.name;
  });
  const p = await h.open();
  await p.graph(1, answerOf(model.lineageGraph(lineage)));
  const texts = (await drawn(p.page)).flatMap((n) => n.lines).join("\n");
  for (const e of evil) assert.ok(texts.includes(e), `${e} is shown as text in ${texts}`);
  assert.equal(await p.page.evaluate(() => window.__pwned), undefined);
  assert.equal(await p.page.locator("#canvas script, #canvas img").count(), 0);
  assert.deepEqual(p.dialogs, []);
  await p.close();
});

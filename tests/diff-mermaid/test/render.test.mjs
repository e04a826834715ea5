// Renders every fixture's Mermaid flowchart (crates/diff/tests/fixtures/*/mermaid.mmd,
// written and checked by `cargo test -p mlforge-diff`) with mermaid itself, in headless
// Chromium. mermaid's dist is served from 127.0.0.1 and every other request is refused, so
// nothing comes from the network. Checks: no parse or render error, the steps drawn with
// their status classes, and hostile text shown as text (no element made from it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '../../../crates/diff/tests/fixtures');
const dist = join(here, '../node_modules/mermaid/dist');

const charts = readdirSync(fixtures)
  .filter((c) => existsSync(join(fixtures, c, 'mermaid.mmd')))
  .map((c) => ({ name: c, text: readFileSync(join(fixtures, c, 'mermaid.mmd'), 'utf8') }));

let server;
let browser;
let page;

before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/') {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><meta charset="utf-8"><body><script src="/mermaid.min.js"></script></body>');
    } else if (req.url === '/mermaid.min.js') {
      res.setHeader('content-type', 'text/javascript');
      res.end(readFileSync(join(dist, 'mermaid.min.js')));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  page = await browser.newPage();
  await page.route('**/*', (route) =>
    route.request().url().startsWith(origin) ? route.continue() : route.abort());
  await page.goto(origin + '/');
  await page.evaluate(() => window.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' }));
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** The chart rendered into the page: its text, and what elements and classes it made. */
async function render(text, id) {
  return page.evaluate(async ({ text, id }) => {
    try {
      await window.mermaid.parse(text);
      const { svg } = await window.mermaid.render(id, text);
      const holder = document.createElement('div');
      holder.innerHTML = svg;
      document.body.append(holder);
      const classes = [...holder.querySelectorAll('g.node')].map((n) => n.getAttribute('class'));
      return {
        ok: true,
        text: holder.textContent,
        scripts: holder.querySelectorAll('script').length,
        bold: holder.querySelectorAll('b').length,
        links: holder.querySelectorAll('a').length,
        nodes: classes.length,
        classes,
      };
    } catch (e) {
      return { ok: false, error: String(e?.message ?? e) };
    }
  }, { text, id });
}

test('the fixtures have charts to render', () => {
  const drawn = charts.filter((c) => c.text.trim() !== '');
  assert.ok(drawn.length >= 10, `only ${drawn.length} charts found under ${fixtures}`);
});

for (const [i, chart] of charts.entries()) {
  if (chart.text.trim() === '') continue;
  test(`${chart.name}: mermaid parses and renders the chart`, async () => {
    const out = await render(chart.text, `chart${i}`);
    assert.ok(out.ok, `${chart.name}: ${out.error}\n${chart.text}`);
    const steps = chart.text.split('\n').filter((l) => /^\s*s\d+\[/.test(l)).length;
    assert.equal(out.nodes, steps, 'every step is drawn as a node');
    assert.equal(out.scripts, 0);
    for (const status of ['added', 'removed', 'changed', 'renamed']) {
      const styled = chart.text.includes(`:::${status}\n`);
      assert.equal(out.classes.some((c) => c.split(' ').includes(status)), styled, status);
    }
  });
}

test('hostile text in labels shows as text', async () => {
  const chart = charts.find((c) => c.name === 'hostile_text');
  assert.ok(chart, 'the hostile_text fixture exists');
  const out = await render(chart.text, 'hostile');
  assert.ok(out.ok, out.error);
  assert.ok(out.text.includes('"</code><script>alert(1)</script>" != "\\"]:::x"'), out.text);
  assert.equal(out.scripts, 0);
  assert.equal(out.bold, 0);
  assert.equal(out.links, 0);
});

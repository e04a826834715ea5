// The graph preview page in headless Chromium, as VS Code would show it: the built
// dist/webview files and a page made by previewHtml (with its CSP), served from 127.0.0.1;
// `acquireVsCodeApi` is stubbed to record what the page posts. Used by the tests and by
// bench/preview.mjs. (Only exports: node --test loads it as a file without tests.)
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { CHROMIUM } from "../chromium.mjs";
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "../..");
export const outputDir = join(root, "test-output");
const fixturesDir = join(here, "fixtures");

export { CHROMIUM };

/** One of the extension's TypeScript modules (e.g. "src/run/events.ts"), bundled for Node. */
export async function importModule(relative) {
  const dir = mkdtempSync(join(tmpdir(), "mlforge-module-"));
  try {
    const outfile = join(dir, "module.mjs");
    await build({ entryPoints: [join(root, relative)], outfile, bundle: true, platform: "node", format: "esm", logLevel: "warning" });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function fixture(name) {
  const bytes = readFileSync(join(fixturesDir, name));
  return JSON.parse((name.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8"));
}

export function answerOf(graph, extra = {}) {
  return { pipeline: graph.pipeline, graph, stale: false, ...extra };
}

/** previewHtml, from the page's TypeScript, for the harness page. */
async function nodeModules(scratch) {
  const outdir = join(scratch, "node");
  await build({
    entryPoints: { html: join(root, "webview/src/html.ts") },
    outdir,
    bundle: true,
    platform: "node",
    format: "esm",
    outExtension: { ".js": ".mjs" },
    logLevel: "warning",
  });
  const html = await import(pathToFileURL(join(outdir, "html.mjs")).href);
  return { previewHtml: html.previewHtml };
}

const TYPES = { ".js": "text/javascript", ".css": "text/css", ".html": "text/html" };

/** Stubs VS Code's API and watches the main thread's long tasks, before any page script. */
function initScript() {
  window.__posted = [];
  window.__postedAt = [];
  window.__state = undefined;
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => {
      window.__postedAt.push(performance.now());
      window.__posted.push(JSON.parse(JSON.stringify(m)));
    },
    getState: () => window.__state,
    setState: (s) => (window.__state = s),
  });
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: "longtask", buffered: true });
  window.__violations = [];
  document.addEventListener("securitypolicyviolation", (e) => window.__violations.push({ directive: e.violatedDirective, blocked: e.blockedURI }));
}

export async function startHarness({ minify = true } = {}) {
  // Each test process builds its own copy: files run in parallel.
  const scratch = join(root, "out-test", `webview-${process.pid}`);
  const { buildWebview } = await import(pathToFileURL(join(root, "webview/build.mjs")).href);
  const outDir = await buildWebview({ minify, outDir: join(scratch, "dist") });
  const { previewHtml } = await nodeModules(scratch);
  mkdirSync(outputDir, { recursive: true });

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/") {
      const origin = `http://127.0.0.1:${server.address().port}`;
      const html = previewHtml({
        cspSource: origin,
        nonce: randomBytes(16).toString("hex"),
        scriptUri: `${origin}/dist/webview/main.js`,
        styleUri: `${origin}/dist/webview/style.css`,
        workerUri: `${origin}/dist/webview/layout-worker.js`,
      });
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      return res.end(html);
    }
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^\/+/, "");
    if (!rel.startsWith("dist/webview/")) {
      res.writeHead(404);
      return res.end();
    }
    try {
      const body = readFileSync(join(outDir, rel.slice("dist/webview/".length)));
      res.writeHead(200, { "content-type": TYPES[extname(rel)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  // launch() gives every browser a fresh, empty profile directory of its own.
  const browser = await chromium.launch(CHROMIUM);

  /** A new preview page, loaded and ready (it has posted `ready`). */
  async function open({ theme = "vscode-dark", vars = {}, width = 900, height = 700 } = {}) {
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    const requests = [];
    const dialogs = [];
    const errors = [];
    const failed = [];
    const responses = [];
    page.on("request", (r) => requests.push(r.url()));
    page.on("requestfailed", (r) => failed.push({ url: r.url(), error: r.failure()?.errorText }));
    page.on("response", (r) => responses.push(r.url()));
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on("pageerror", (e) => errors.push(e.message));
    await page.addInitScript(initScript);
    await page.goto(`${origin}/`);
    await page.evaluate(
      ({ theme, vars }) => {
        document.body.classList.add(theme);
        for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
      },
      { theme, vars },
    );
    await page.waitForFunction(() => window.__posted.some((m) => m.type === "ready"));
    const preview = {
      page,
      context,
      requests,
      failed,
      responses,
      dialogs,
      errors,
      /** Posts a message as the extension host would. */
      send: (message) => page.evaluate((m) => window.postMessage(m, "*"), message),
      posted: () => page.evaluate(() => window.__posted),
      /** Sends a graph and waits for the page to report it rendered. */
      async graph(seq, answer, mode = "full", settings = { collapseAbove: 40, focusHops: 2 }) {
        await preview.send({ type: "graph", seq, uri: "file:///work/pipeline.mlf", answer, mode, settings });
        return preview.rendered(seq);
      },
      async rendered(seq, timeout = 120_000) {
        const handle = await page.waitForFunction((s) => window.__posted.find((m) => m.type === "rendered" && m.seq === s), seq, { timeout, polling: 20 });
        return handle.jsonValue();
      },
      screenshot: (name) => page.screenshot({ path: join(outputDir, `${name}.png`) }),
      close: () => context.close(),
    };
    return preview;
  }

  return {
    origin,
    browser,
    open,
    async close() {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

// The page's Content-Security-Policy: it loads only its own files (and starts its worker
// from a blob: URL), and blocks anything remote or inline.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { answerOf, fixture, startHarness } from "./harness.mjs";

let h;
before(async () => (h = await startHarness()));
after(() => h?.close());

test("the page requests nothing outside 127.0.0.1, and the CSP blocks remote and inline content", async () => {
  const p = await h.open();
  await p.graph(1, answerOf(fixture("quickstart.json")));
  const local = (url) => url.startsWith(`${h.origin}/`) || url.startsWith(`blob:${h.origin}/`) || url.startsWith("data:");
  // Everything the page loads by itself is its own.
  assert.deepEqual(p.requests.filter((url) => !local(url)), []);
  // The worker was started from a blob: URL, as a webview needs.
  assert.ok(p.requests.some((url) => url.startsWith(`blob:${h.origin}/`)));

  await p.page.evaluate(async () => {
    const img = document.createElement("img");
    img.src = "https://example.com/pixel.png";
    document.body.appendChild(img);
    const style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = "https://example.com/theme.css";
    document.head.appendChild(style);
    const script = document.createElement("script");
    script.src = "https://example.com/evil.js";
    document.head.appendChild(script);
    // Markup with inline handlers: neither may run (an empty `data:` image loads in some
    // Chromium versions and fails in others, so both events are handled).
    document.body.insertAdjacentHTML("beforeend", '<img src="data:," onload="window.__pwned = true" onerror="window.__pwned = true">');
    const inline = document.createElement("script");
    inline.textContent = "window.__pwned = true";
    document.head.appendChild(inline);
    try {
      await fetch("https://example.com/data.json");
    } catch {
      // blocked
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  });
  const { pwned, violations } = await p.page.evaluate(() => ({ pwned: window.__pwned === true, violations: window.__violations }));
  assert.equal(pwned, false);
  const blocked = new Set(violations.map((v) => `${v.directive} ${v.blocked}`));
  for (const expected of [
    "img-src https://example.com/pixel.png",
    "style-src-elem https://example.com/theme.css",
    "script-src-elem https://example.com/evil.js",
    "script-src-elem inline",
    "script-src-attr inline",
    "connect-src https://example.com/data.json",
  ]) {
    assert.ok(blocked.has(expected), `${expected} blocked (saw: ${[...blocked].join(" | ")})`);
  }
  // Chromium reports each blocked load as a request that failed on the CSP, before the network.
  assert.deepEqual(p.responses.filter((url) => !local(url)), []);
  for (const url of p.requests.filter((u) => !local(u))) {
    assert.deepEqual(p.failed.find((f) => f.url === url), { url, error: "csp" });
  }
  await p.close();
});

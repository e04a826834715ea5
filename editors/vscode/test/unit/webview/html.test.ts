import { test } from "node:test";
import assert from "node:assert/strict";
import { contentSecurityPolicy, escapeHtml, previewHtml } from "../../../webview/src/html";

const page = {
  cspSource: "https://file+.vscode-resource.vscode-cdn.net",
  nonce: "abc123XYZ",
  scriptUri: "https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/main.js",
  styleUri: "https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/style.css",
  workerUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/layout-worker.js?a="b"&c=<d>',
};

test("the CSP allows nonce'd scripts, WebAssembly, blob: workers and the extension's files, nothing else", () => {
  const csp = contentSecurityPolicy(page);
  const rules = new Map(csp.split("; ").map((r) => [r.split(" ")[0], r.split(" ").slice(1)]));
  assert.deepEqual(rules.get("default-src"), ["'none'"]);
  assert.deepEqual(rules.get("script-src"), ["'nonce-abc123XYZ'", "'wasm-unsafe-eval'"]);
  assert.deepEqual(rules.get("style-src"), [page.cspSource]);
  assert.deepEqual(rules.get("worker-src"), ["blob:"]);
  assert.deepEqual(rules.get("img-src"), [page.cspSource, "data:"]);
  assert.deepEqual(rules.get("connect-src"), [page.cspSource]);
  assert.ok(!csp.includes("unsafe-inline") && !csp.includes("'unsafe-eval'") && !csp.includes("*"));
});

test("the page loads its script with the nonce and escapes every URI", () => {
  const html = previewHtml(page);
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;/);
  assert.match(html, /<script nonce="abc123XYZ" src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/webview\/main\.js"><\/script>/);
  assert.ok(html.includes('data-worker-uri="https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/layout-worker.js?a=&#34;b&#34;&#38;c=&#60;d&#62;"'));
  assert.equal((html.match(/<script/g) ?? []).length, 1, "no inline script");
  assert.ok(!html.includes("style="), "no inline style");
});

test("a nonce that could break out of its attribute is refused", () => {
  assert.throws(() => previewHtml({ ...page, nonce: 'x" onload="alert(1)' }), /nonce/);
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;");
});

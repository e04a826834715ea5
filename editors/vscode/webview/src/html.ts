// The graph preview's page. The extension host sets it as the webview's HTML; the tests
// serve it from 127.0.0.1. Everything the page runs comes from `cspSource`: no inline
// script or style, no remote source.

export interface PreviewPage {
  /** `webview.cspSource` (or the test server's origin). */
  cspSource: string;
  /** A fresh random value per page, [A-Za-z0-9]. */
  nonce: string;
  scriptUri: string;
  styleUri: string;
  /** The layout worker's script; the page fetches it and starts it from a blob: URL
   * (a webview cannot start a Worker from its resource URLs directly). */
  workerUri: string;
}

/** Text for an HTML attribute value or element content. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function contentSecurityPolicy({ cspSource, nonce }: Pick<PreviewPage, "cspSource" | "nonce">): string {
  return [
    "default-src 'none'",
    // WebAssembly Graphviz needs 'wasm-unsafe-eval' (not 'unsafe-eval').
    `script-src 'nonce-${nonce}' 'wasm-unsafe-eval'`,
    `style-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    // The page fetches the worker's script to start it from a blob: URL.
    `connect-src ${cspSource}`,
    "worker-src blob:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}

export function previewHtml(page: PreviewPage): string {
  if (!/^[A-Za-z0-9+/=_-]+$/.test(page.nonce)) throw new Error("The preview's nonce must be letters and digits.");
  const csp = escapeHtml(contentSecurityPolicy(page));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${escapeHtml(page.styleUri)}">
<title>MLForge graph</title>
</head>
<body data-worker-uri="${escapeHtml(page.workerUri)}">
<div id="toolbar" role="toolbar" aria-label="Graph">
  <div class="group" role="radiogroup" aria-label="Level of detail">
    <button type="button" data-mode="full" role="radio" title="Every step; big blocks collapsed">Full</button>
    <button type="button" data-mode="overview" role="radio" title="Every block and sub-pipeline collapsed">Overview</button>
    <button type="button" data-mode="focus" role="radio" title="The cursor's step and its neighbours">Focus</button>
  </div>
  <div class="group">
    <button type="button" data-action="zoomOut" title="Zoom out" aria-label="Zoom out">−</button>
    <button type="button" data-action="zoomIn" title="Zoom in" aria-label="Zoom in">+</button>
    <button type="button" data-action="fit" title="Fit the graph in the view">Fit</button>
  </div>
  <input id="search" type="search" placeholder="Find a step" aria-label="Find a step (Enter: next, Shift+Enter: previous)" spellcheck="false">
  <button type="button" data-action="exportSvg" title="Save the graph as SVG">Export SVG</button>
  <button type="button" id="tidy" class="edit-only" title="Lay the whole picture out anew (after edits, steps keep their places)">Tidy</button>
  <span id="counts" aria-live="polite"></span>
</div>
<div id="notes" aria-live="polite"></div>
<div id="main">
<aside id="palette" aria-label="Ops" hidden>
  <input id="op-search" type="search" placeholder="Find an op" aria-label="Find an op to add" spellcheck="false">
  <ul id="ops" role="listbox" aria-label="Ops: drag one onto the graph, or press Enter to add it"></ul>
</aside>
<div id="stage">
  <div id="canvas" tabindex="0" aria-label="Pipeline graph"></div>
  <div id="progress" role="status" hidden><div class="bar"></div><span class="text"></span></div>
  <div id="message" hidden></div>
</div>
<aside id="inspector" aria-label="Arguments of the selected step" hidden></aside>
</div>
<div id="menu" role="menu" hidden></div>
<script nonce="${page.nonce}" src="${escapeHtml(page.scriptUri)}"></script>
</body>
</html>
`;
}

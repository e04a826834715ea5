// Gestures on code-server's workbench, as a user makes them.
import { mkdirSync } from "node:fs";
import { join } from "node:path";

function exactly(text) {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
}

/** Opens a file through Quick Open; `query` (e.g. "s300/main.mlf") picks among same names. */
export async function openFile(page, name, query = name) {
  // Keys go to whatever has focus; a closed webview leaves it nowhere.
  await page.locator(".monaco-workbench .part.editor").click({ position: { x: 40, y: 200 }, force: true });
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(query);
  // The row of this very file (rows of an earlier list linger hidden, and Enter takes
  // whatever row is first).
  const row = page.locator(".quick-input-list .monaco-list-row").filter({ has: page.locator(".label-name", { hasText: exactly(name) }) }).first();
  await row.waitFor();
  await row.click();
  await page.locator(`.tab.active[data-resource-name="${name}"]`).waitFor();
  await page.locator(".monaco-editor .view-lines").first().waitFor();
}

export async function runCommand(page, title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(`>${title}`);
  // The row whose label is exactly the title (Enter would take whatever row is first).
  const row = page.locator(".quick-input-list .monaco-list-row").filter({ has: page.locator(".label-name", { hasText: exactly(title) }) }).first();
  await row.waitFor();
  await row.click();
  await input.waitFor({ state: "hidden" });
}

/** Puts the cursor at `line` (1-based) and `column` (1-based), or at the line's end. */
export async function gotoLine(page, line, column) {
  await page.keyboard.press("Control+G");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  // Go to Line is quick open with ":" in front.
  await input.fill(column ? `:${line}:${column}` : `:${line}`);
  await page.locator(".quick-input-widget", { hasText: `line ${line}` }).first().waitFor();
  await page.keyboard.press("Enter");
  await input.waitFor({ state: "hidden" });
  if (!column) await page.keyboard.press("End");
}

export function gotoLineEnd(page, line) {
  return gotoLine(page, line);
}

/** The editor focus is on the text (not on a panel or the webview). */
export async function focusEditor(page) {
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+1"); // View: Focus First Editor Group
}

/** "Ln 84, Col 8" of the status bar. */
export async function cursorLine(page) {
  const text = await page.locator('[id="status.editor.selection"]').innerText();
  const m = /Ln (\d+)/.exec(text);
  return m ? Number(m[1]) : null;
}

/** Errors and warnings the Problems item of the status bar counts. */
export async function problemCounts(page) {
  const label = (await page.locator('[id="status.problems"] a').first().getAttribute("aria-label")) ?? "";
  if (/no problems/i.test(label)) return { errors: 0, warnings: 0 };
  const errors = Number((/(\d+)\s+errors?/i.exec(label) ?? /Errors?:\s*(\d+)/i.exec(label) ?? [0, 0])[1]);
  const warnings = Number((/(\d+)\s+warnings?/i.exec(label) ?? /Warnings?:\s*(\d+)/i.exec(label) ?? [0, 0])[1]);
  return { errors, warnings, label };
}

export async function waitFor(predicate, { timeout = 20_000, interval = 200, what = "condition" } = {}) {
  const start = Date.now();
  let last;
  while (Date.now() - start < timeout) {
    last = await predicate();
    if (last) return last;
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** The graph preview's page inside its two webview iframes. */
export function previewFrame(page) {
  return page.frameLocator("iframe.webview.ready").frameLocator("iframe#active-frame");
}

export function screenshotter(page, dir) {
  mkdirSync(dir, { recursive: true });
  return (name) => page.screenshot({ path: join(dir, `${name}.png`) });
}

// Real VS Code for the end-to-end tests: code-server on 127.0.0.1 with the packaged .vsix
// installed in a fresh profile, driven by Debian's Chromium through playwright-core.
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM } from "../chromium.mjs";
import { ensureCodeServer } from "./tools.mjs";

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function waitForHealth(url, child, log, deadlineMs) {
  const start = Date.now();
  while (Date.now() - start < deadlineMs) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}):\n${log()}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer /healthz within ${deadlineMs} ms:\n${log()}`);
}

/**
 * Starts code-server with `vsix` installed and `settings` as the user settings, opens
 * `folder` in Chromium, and returns the page and a stop function.
 */
export async function launch({ vsix, folder, settings = {}, outputDir }) {
  const cs = ensureCodeServer();
  const home = mkdtempSync(join(tmpdir(), "mlforge-e2e-"));
  const userData = join(home, "user-data");
  const extensions = join(home, "extensions");
  mkdirSync(join(userData, "User"), { recursive: true });
  writeFileSync(
    join(userData, "User", "settings.json"),
    JSON.stringify(
      {
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": false,
        "workbench.enableExperiments": false,
        "telemetry.telemetryLevel": "off",
        "security.workspace.trust.enabled": false,
        "extensions.autoCheckUpdates": false,
        "extensions.autoUpdate": false,
        "update.mode": "none",
        "editor.codeLens": true,
        "editor.minimap.enabled": false,
        "window.title": "mlforge-e2e",
        "chat.disableAIFeatures": true,
        // Edits stay in the buffer, so "File: Revert File" undoes a test's typing.
        "files.autoSave": "off",
        "workbench.secondarySideBar.defaultVisibility": "hidden",
        ...settings,
      },
      null,
      2,
    ),
  );
  const config = join(home, "config.yaml");
  writeFileSync(config, "auth: none\ncert: false\n");
  // Even the marketplace lookup stays on loopback.
  const env = {
    ...cs.env,
    EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: "http://127.0.0.1:9/gallery", itemUrl: "http://127.0.0.1:9/items" }),
  };
  const common = ["--user-data-dir", userData, "--extensions-dir", extensions, "--config", config];
  execFileSync(cs.node, [cs.entry, ...common, "--install-extension", vsix], { env, stdio: "pipe" });

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const child = spawn(
    cs.node,
    [cs.entry, ...common, "--bind-addr", `127.0.0.1:${port}`, "--auth", "none", "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust", "--disable-getting-started-override", folder],
    { env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  await waitForHealth(url, child, () => output, 30_000);

  const browser = await chromium.launch(CHROMIUM);
  const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
  const page = await context.newPage();
  const consoleLines = [];
  page.on("console", (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`);
  await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });

  async function stop() {
    if (outputDir) writeFileSync(join(outputDir, "code-server.log"), output + "\n--- browser console ---\n" + consoleLines.join("\n"));
    await browser.close().catch(() => {});
    // The extension host and the language server are code-server's children: end the
    // whole process group, or they live on.
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  }
  return { page, url, home, stop, log: () => output };
}

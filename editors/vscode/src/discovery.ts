// Which `mlforge` binary runs the language server. Pure: the file system and the
// environment come in as arguments, so the unit tests drive every branch.

import * as path from "node:path";

export interface DiscoveryEnv {
  /** `mlforge.server.path`, as the user wrote it (may be empty). */
  setting: string | null | undefined;
  /** The extension's own folder (a platform `.vsix` ships `server/mlforge` in it). */
  extensionPath: string;
  /** The first workspace folder, for `${workspaceFolder}` in the setting. */
  workspaceFolder: string | undefined;
  homeDir: string;
  /** `process.env.PATH`. */
  pathVar: string | undefined;
  platform: NodeJS.Platform;
  /** True when the path names an executable regular file. */
  isExecutable(file: string): boolean;
}

export type ServerSource = "setting" | "bundled" | "PATH";

export type Discovery =
  | { ok: true; command: string; source: ServerSource }
  | { ok: false; message: string };

function binaryName(platform: NodeJS.Platform): string {
  return platform === "win32" ? "mlforge.exe" : "mlforge";
}

/** Expands `~` and `${workspaceFolder}`; a relative path is taken from the workspace. */
export function expandSetting(raw: string, env: DiscoveryEnv): string {
  let value = raw.trim();
  if (value === "~" || value.startsWith("~/")) value = path.join(env.homeDir, value.slice(1));
  if (value.includes("${workspaceFolder}")) {
    value = value.split("${workspaceFolder}").join(env.workspaceFolder ?? "");
  }
  if (!path.isAbsolute(value) && env.workspaceFolder && value.includes("/")) {
    value = path.join(env.workspaceFolder, value);
  }
  return value;
}

/** The setting, else the bundled binary, else `mlforge` on PATH. */
export function discoverServer(env: DiscoveryEnv): Discovery {
  const name = binaryName(env.platform);
  const setting = env.setting?.trim();
  if (setting) {
    const expanded = expandSetting(setting, env);
    // A bare name ("mlforge-nightly") is looked up on PATH like a shell would.
    const candidate = expanded.includes("/") ? expanded : searchPath(expanded, env);
    if (candidate && env.isExecutable(candidate)) {
      return { ok: true, command: candidate, source: "setting" };
    }
    return {
      ok: false,
      message:
        `The setting mlforge.server.path names "${setting}", which is not an executable file. ` +
        `Fix the path in the setting (or clear it to use the bundled server).`,
    };
  }
  const bundled = path.join(env.extensionPath, "server", name);
  if (env.isExecutable(bundled)) return { ok: true, command: bundled, source: "bundled" };
  const onPath = searchPath(name, env);
  if (onPath) return { ok: true, command: onPath, source: "PATH" };
  return {
    ok: false,
    message:
      "MLForge could not find its language server: this extension has no bundled `mlforge` " +
      "for this platform and none is on PATH. Install it with " +
      "`cargo install --locked --path crates/cli` from the MLForge repository, or set " +
      "mlforge.server.path to the binary.",
  };
}

function searchPath(name: string, env: DiscoveryEnv): string | undefined {
  const sep = env.platform === "win32" ? ";" : ":";
  for (const dir of (env.pathVar ?? "").split(sep)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (env.isExecutable(candidate)) return candidate;
  }
  return undefined;
}

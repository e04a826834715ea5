// Runs `mlforge` for a JSON answer, in the folder whose store (.mlforge, or mlforge.toml's)
// the user means.

import { execFile } from "node:child_process";

export function mlforgeJson<T>(binary: string, args: string[], cwd: string): Promise<T> {
  return new Promise((resolve, reject) =>
    execFile(binary, args, { cwd, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(stderr.trim() || error.message));
      try {
        resolve(JSON.parse(stdout) as T);
      } catch {
        reject(new Error(`mlforge ${args[0]} printed something that is not JSON.`));
      }
    }),
  );
}

export function mlforgeText(binary: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(binary, args, { cwd, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(stderr.trim() || error.message)) : resolve(stdout),
    ),
  );
}

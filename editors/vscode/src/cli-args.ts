// The server's code lenses name commands with plain string arguments (file, pipeline,
// step; see crates/ide/src/lenses.rs); these turn them into `mlforge` command lines.

export type RunKind = "run" | "plan" | "runStep" | "runFrom";

/** The `mlforge` arguments for a lens command. */
export function cliArgs(kind: RunKind, file: string, pipeline?: string, step?: string): string[] {
  const args = [kind === "plan" ? "plan" : "run", file];
  if (pipeline) args.push("--pipeline", pipeline);
  if (kind === "runStep" && step) args.push("--only", step);
  if (kind === "runFrom" && step) args.push("--from", step);
  return args;
}

/** Quotes one word for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}


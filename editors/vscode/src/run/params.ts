// Params a run needs a value for: those without a default in the compiled IR
// (`mlforge ir`), taken from the setting `mlforge.run.params` or asked for.

export interface IrParam {
  name: string;
  type: { kind: string; [k: string]: unknown };
  default?: unknown;
}

/** Params with no default and no value in the settings. */
export function paramsToAsk(params: IrParam[], configured: Record<string, unknown>): IrParam[] {
  return params.filter((p) => !("default" in p) && !(p.name in configured));
}

/** `--param NAME=VALUE` arguments; strings as they are, anything else as JSON. */
export function paramArgs(values: Record<string, unknown>): string[] {
  const args: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    args.push("--param", `${name}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  }
  return args;
}

/** A type as the language writes it, for the prompt. */
export function typeText(t: IrParam["type"]): string {
  if (t.kind === "list") return `list<${typeText(t.of as IrParam["type"])}>`;
  if (t.kind === "optional") return `${typeText(t.of as IrParam["type"])}?`;
  return typeof t.name === "string" ? t.name : t.kind;
}

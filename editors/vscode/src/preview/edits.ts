// A graph edit from the preview, through the server to the text: `mlforge/graphEdit` with
// the document version the picture was drawn from, the answer's WorkspaceEdit applied as
// one undoable change, and the server's refusals turned into what the user sees (a delete
// that others read from asks first, then deletes them too). No `vscode` import: the host
// gives the effects, so the plumbing is unit-tested.

import type { GraphEdit } from "../protocol";

/** LSP error codes the server answers graph edits with. */
export const CONTENT_MODIFIED = -32801;
export const REQUEST_FAILED = -32803;

export interface GraphEditParams {
  uri: string;
  version: number;
  pipeline: string;
  edit: GraphEdit;
}

export interface GraphEditAnswer {
  /** An LSP WorkspaceEdit (documentChanges with the version). */
  edit: unknown;
  select: string | null;
}

export interface EditHost {
  request(params: GraphEditParams): Promise<GraphEditAnswer>;
  /** Applies an LSP WorkspaceEdit; false when the editor could not. */
  apply(edit: unknown): Promise<boolean>;
  /** Asks the user; true to go on. */
  confirm(message: string, action: string): Promise<boolean>;
}

export type EditOutcome = { ok: true; select: string | null } | { ok: false; error: string };

interface ResponseErrorLike {
  code?: unknown;
  message?: unknown;
  data?: unknown;
}

function refusal(error: unknown): { code: number | undefined; message: string; reason?: string; dependants: string[] } {
  const e = (typeof error === "object" && error !== null ? error : {}) as ResponseErrorLike;
  const data = (typeof e.data === "object" && e.data !== null ? e.data : {}) as { reason?: unknown; dependants?: unknown };
  return {
    code: typeof e.code === "number" ? e.code : undefined,
    message: typeof e.message === "string" && e.message !== "" ? e.message : String(error),
    reason: typeof data.reason === "string" ? data.reason : undefined,
    dependants: Array.isArray(data.dependants) ? data.dependants.filter((d): d is string => typeof d === "string") : [],
  };
}

const list = (names: string[]) => (names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`);

/** Sends one graph edit and applies its answer. */
export async function sendGraphEdit(host: EditHost, params: GraphEditParams): Promise<EditOutcome> {
  let answer: GraphEditAnswer;
  try {
    answer = await host.request(params);
  } catch (error) {
    const r = refusal(error);
    if (r.code === CONTENT_MODIFIED) return { ok: false, error: `${r.message} The graph shows the file as it is now: make the change again.` };
    const { edit } = params;
    if (r.reason === "dependants" && edit.kind === "deleteStep" && !edit.cascade && r.dependants.length > 0) {
      const go = await host.confirm(`${r.message} Delete ${edit.step} and ${list(r.dependants)}?`, "Delete them all");
      if (!go) return { ok: false, error: `Nothing was deleted: ${list(r.dependants)} still ${r.dependants.length === 1 ? "reads" : "read"} ${edit.step}.` };
      return sendGraphEdit(host, { ...params, edit: { ...edit, cascade: true } });
    }
    return { ok: false, error: r.message };
  }
  const applied = await host.apply(answer.edit);
  if (!applied) return { ok: false, error: "The editor could not apply the change (the file may have changed meanwhile): make it again on the new picture." };
  return { ok: true, select: answer.select ?? null };
}

// Which level of detail to ask the server for. Laying out a whole 5,000-step pipeline takes
// seconds, so big pipelines open in a focus view around the cursor's step unless the user
// asks for more; the webview then collapses big blocks (see webview/DESIGN.md).

import type { DetailMode } from "../protocol";

export type DetailSetting = "auto" | DetailMode;

export interface DetailInputs {
  setting: DetailSetting;
  /** A mode the user picked in this preview (overrides the setting until reset). */
  chosen: DetailMode | null;
  /** Steps in the whole pipeline, from the last answer; unknown before the first. */
  totalNodes: number | null;
  fullLimit: number;
}

export function chooseDetail(inputs: DetailInputs): DetailMode {
  if (inputs.chosen) return inputs.chosen;
  if (inputs.setting !== "auto") return inputs.setting;
  // Before the first answer we do not know the size: ask for the focus view when the text
  // is big enough to be a big pipeline is not knowable either, so start small and correct
  // on the answer's `total`.
  if (inputs.totalNodes === null) return "focus";
  return inputs.totalNodes > inputs.fullLimit ? "focus" : "full";
}

/** Whether an answer drawn at `mode` must be asked again at another level of detail. */
export function needsAnotherRequest(asked: DetailMode, inputs: DetailInputs): boolean {
  return chooseDetail(inputs) !== asked;
}

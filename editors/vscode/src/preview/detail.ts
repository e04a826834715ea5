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
  // Before the first answer the size is unknown: start with the (small) focus answer, whose
  // `total` then says which level of detail the pipeline needs.
  if (inputs.totalNodes === null) return "focus";
  return inputs.totalNodes > inputs.fullLimit ? "focus" : "full";
}

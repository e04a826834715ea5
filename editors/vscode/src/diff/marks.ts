// `mlforge diff --format json` (schemas/diff.schema.json) as marks on the graph's nodes.

import type { DiffMark } from "../protocol";

export interface StepDiff {
  status: "added" | "removed" | "changed" | "renamed" | "unchanged";
  renamed_from?: string | null;
  rerun?: boolean;
  changes?: { kind: string }[];
}

export interface PipelineDiff {
  pipeline: string;
  steps?: Record<string, StepDiff>;
}

export interface DiffAnswer {
  changed: boolean;
  summary: string;
  pipelines: PipelineDiff[];
}

export interface DiffMarks {
  marks: Record<string, { mark: DiffMark; detail?: string }>;
  removed: string[];
  summary: string;
}

export function diffMarks(answer: DiffAnswer, pipeline: string | undefined): DiffMarks {
  const diff = answer.pipelines.find((p) => p.pipeline === pipeline) ?? (answer.pipelines.length === 1 ? answer.pipelines[0] : undefined);
  const marks: DiffMarks["marks"] = {};
  const removed: string[] = [];
  for (const [id, step] of Object.entries(diff?.steps ?? {})) {
    const was = step.renamed_from ? `was ${step.renamed_from}` : undefined;
    const what = step.changes?.length ? `${step.changes.map((c) => c.kind.replace(/_/g, " ")).join(", ")} changed` : undefined;
    const detail = [was, what, step.rerun ? "will re-run" : undefined].filter(Boolean).join("; ") || undefined;
    switch (step.status) {
      case "added":
        marks[id] = { mark: "added" };
        break;
      case "removed":
        removed.push(id);
        break;
      case "renamed":
        marks[id] = { mark: "renamed", detail };
        break;
      case "changed":
        // A rename that also changed something is shown as renamed, with both in the detail.
        marks[id] = { mark: step.renamed_from ? "renamed" : "changed", detail };
        break;
      case "unchanged":
        if (step.rerun) marks[id] = { mark: "rerun", detail };
        break;
    }
  }
  return { marks, removed: removed.sort(), summary: answer.summary };
}

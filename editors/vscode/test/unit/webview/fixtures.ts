// Graph fixtures (test/webview/fixtures, made by the real CLI) for the unit tests.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import type { GraphAnswer, GraphModel } from "../../../src/protocol";

// Bundled into out-test/webview/: the fixtures are two levels up, under test/webview.
const dir = new URL("../../test/webview/fixtures/", import.meta.url);

export function model(name: string): GraphModel {
  const bytes = readFileSync(new URL(name, dir));
  return JSON.parse((name.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8"));
}

export function answer(name: string, extra: Partial<GraphAnswer> = {}): GraphAnswer {
  const graph = model(name);
  return { pipeline: graph.pipeline, graph, stale: false, ...extra };
}

/** A deep copy to edit. */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

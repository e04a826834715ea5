// The layout worker: DOT in, positions out (scene.ts). Graphviz's `dot` layout takes
// seconds on big graphs and cannot be interrupted, so it runs here, never on the page's
// thread; the page drops replies to requests it no longer wants and replaces a worker
// stuck on an obsolete layout (layout-client.ts).

import { Graphviz } from "@hpcc-js/wasm-graphviz";
import { sceneFromLayout, type LayoutReply, type LayoutRequest } from "./scene";

// Started at once, so the WebAssembly is compiled while the page waits for its first graph.
const graphviz = Graphviz.load();

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<LayoutRequest>) => void) | null;
  postMessage(reply: LayoutReply): void;
};

scope.onmessage = async (event) => {
  const { id, dot } = event.data;
  let reply: LayoutReply;
  try {
    const gv = await graphviz;
    const started = performance.now();
    // `json0`: positions without drawing instructions (a third of `json`'s size). Graphviz
    // has it; the package's type lists only `json`.
    const layout = JSON.parse(gv.layout(dot, "json0" as "json", "dot"));
    reply = { id, ok: true, scene: sceneFromLayout(layout), ms: performance.now() - started };
  } catch (error) {
    reply = { id, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  scope.postMessage(reply);
};

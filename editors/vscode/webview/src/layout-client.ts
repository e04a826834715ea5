// The page's side of the layout worker. At most one layout runs and one waits; a newer
// request replaces the waiting one. Graphviz cannot be interrupted, so when a layout
// nobody wants any more has run for a while, the worker is replaced by a fresh one rather
// than waited for.

import type { LayoutReply, LayoutRequest } from "./scene";

/** An obsolete layout younger than this is waited for (a new worker costs the WebAssembly
 * compilation, a few hundred milliseconds). */
const REPLACE_AFTER_MS = 600;

export class LayoutClient {
  private worker: Worker | null = null;
  private script: Promise<string> | null = null;
  private running: { id: number; started: number } | null = null;
  private waiting: LayoutRequest | null = null;
  /** The id whose reply is wanted; replies to others are dropped here already. */
  private wanted = -1;

  constructor(
    private readonly workerUri: string,
    private readonly onReply: (reply: LayoutReply) => void,
    private readonly onFailure: (message: string) => void,
  ) {}

  /** Loads the worker ahead of the first graph. */
  warmUp(): void {
    void this.start().catch(() => {
      // Reported when a layout is asked for.
    });
  }

  request(req: LayoutRequest): void {
    this.wanted = req.id;
    this.waiting = req;
    this.replaceIfStuck();
    this.pump();
  }

  cancel(): void {
    this.wanted = -1;
    this.waiting = null;
    this.replaceIfStuck();
  }

  private replaceIfStuck(): void {
    if (this.running && this.running.id !== this.wanted && performance.now() - this.running.started > REPLACE_AFTER_MS) {
      this.worker?.terminate();
      this.worker = null;
      this.running = null;
    }
  }

  private pump(): void {
    if (this.running || !this.waiting) return;
    const req = this.waiting;
    this.waiting = null;
    const running = { id: req.id, started: performance.now() };
    this.running = running;
    this.start().then(
      (worker) => {
        if (this.running === running) worker.postMessage(req);
      },
      (error: unknown) => {
        if (this.running !== running) return;
        this.running = null;
        this.script = null; // try loading again next time
        this.onFailure(`The graph preview could not start its layout worker: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  }

  private async start(): Promise<Worker> {
    if (this.worker) return this.worker;
    // A webview may not start a Worker from its resource URLs: fetch the script and start
    // it from a blob: URL (the page's CSP allows `worker-src blob:`).
    this.script ??= fetch(this.workerUri)
      .then((response) => {
        if (!response.ok) throw new Error(`${response.status} ${response.statusText} for ${this.workerUri}`);
        return response.text();
      })
      .then((text) => URL.createObjectURL(new Blob([text], { type: "text/javascript" })));
    const url = await this.script;
    if (this.worker) return this.worker;
    const worker = new Worker(url);
    worker.onmessage = (event: MessageEvent<LayoutReply>) => {
      if (worker !== this.worker) return;
      const reply = event.data;
      if (this.running?.id === reply.id) this.running = null;
      if (reply.id === this.wanted) this.onReply(reply);
      this.pump();
    };
    worker.onerror = (event) => {
      event.preventDefault();
      if (worker !== this.worker) return;
      worker.terminate();
      this.worker = null;
      const lost = this.running;
      this.running = null;
      if (lost && lost.id === this.wanted) this.onReply({ id: lost.id, ok: false, error: event.message || "the layout worker stopped" });
      this.pump();
    };
    this.worker = worker;
    return worker;
  }
}

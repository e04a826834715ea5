// From a keystroke to the picture that shows it: the edit's document version is remembered,
// the graph built for that version gets a sequence number, and the webview reports when it
// has drawn that sequence. The end-to-end benchmark reads these figures.

export interface LatencySample {
  /** Milliseconds from the edit to the rendered picture. */
  totalMs: number;
  /** Of which: the webview's layout and drawing. */
  layoutMs: number;
}

export class LatencyLog {
  private readonly editedAt = new Map<number, number>();
  private readonly sentFor = new Map<number, number>();
  readonly samples: LatencySample[] = [];

  constructor(private readonly now: () => number = () => Date.now()) {}

  edited(version: number): void {
    this.editedAt.set(version, this.now());
  }

  sent(seq: number, version: number): void {
    if (this.editedAt.has(version)) this.sentFor.set(seq, version);
  }

  rendered(seq: number, layoutMs: number): void {
    const version = this.sentFor.get(seq);
    if (version === undefined) return;
    const start = this.editedAt.get(version)!;
    this.samples.push({ totalMs: this.now() - start, layoutMs });
    // Versions up to this one are drawn; forget them.
    for (const v of this.editedAt.keys()) if (v <= version) this.editedAt.delete(v);
    for (const s of this.sentFor.keys()) if (s <= seq) this.sentFor.delete(s);
    if (this.samples.length > 1000) this.samples.splice(0, this.samples.length - 1000);
  }
}

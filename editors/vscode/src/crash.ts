// When the language server dies, restart it, but not forever: a server that crashes on
// every start would otherwise flood the user with restarts.

export const CRASH_WINDOW_MS = 3 * 60 * 1000;

export class CrashPolicy {
  private crashes: number[] = [];

  constructor(
    private readonly maxRestarts: number,
    private readonly windowMs = CRASH_WINDOW_MS,
  ) {}

  /** Records a crash at `now`; says whether to restart or give up. */
  onCrash(now: number): "restart" | "give-up" {
    this.crashes = this.crashes.filter((t) => now - t < this.windowMs);
    this.crashes.push(now);
    return this.crashes.length <= this.maxRestarts ? "restart" : "give-up";
  }

  /** A restart the user asked for starts counting afresh. */
  reset(): void {
    this.crashes = [];
  }

  get recentCrashes(): number {
    return this.crashes.length;
  }
}

// Pan and zoom of the drawing: a translate + scale on its root group. Wheel zooms around
// the pointer, a drag pans, and a drag never counts as a click.

const MIN_SCALE = 0.02;
const MAX_SCALE = 4;
const MARGIN = 16;

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type Direction = "left" | "right" | "up" | "down";

/** The node an arrow key moves to: the nearest one on that side, favouring those straight
 * ahead over those off to the side. */
export function nearestInDirection(boxes: ReadonlyMap<string, Box>, from: string, direction: Direction): string | null {
  const origin = boxes.get(from);
  if (!origin) return null;
  const [dx, dy] = { left: [-1, 0], right: [1, 0], up: [0, -1], down: [0, 1] }[direction];
  let best: { id: string; score: number } | null = null;
  for (const [id, b] of boxes) {
    const ahead = (b.x - origin.x) * dx + (b.y - origin.y) * dy;
    if (id === from || ahead <= 0) continue;
    const aside = Math.abs((b.x - origin.x) * dy + (b.y - origin.y) * dx);
    const score = ahead + 2 * aside;
    if (!best || score < best.score) best = { id, score };
  }
  return best?.id ?? null;
}

export class Viewport {
  private x = 0;
  private y = 0;
  private k = 1;
  private content = { w: 0, h: 0 };
  private target: SVGGElement | null = null;
  /** Set once the user zooms or pans; until then every new layout is fitted. */
  moved = false;
  private drag: { px: number; py: number; x: number; y: number; active: boolean } | null = null;
  private suppressClick = false;
  /** The host's size, kept by a ResizeObserver: reading it from the DOM while a new
   * drawing is inserted would force a synchronous layout of that drawing. */
  private size = { width: 0, height: 0 };

  constructor(private readonly host: HTMLElement) {
    const rect = host.getBoundingClientRect();
    this.size = { width: rect.width, height: rect.height };
    new ResizeObserver((entries) => {
      const box = entries[entries.length - 1].contentRect;
      const first = this.size.width === 0 && this.size.height === 0;
      this.size = { width: box.width, height: box.height };
      // Unless the user moved the view, a resized panel (or the first real size) refits.
      if (first || !this.moved) this.fit(false);
    }).observe(host);
    host.addEventListener("wheel", (e) => this.onWheel(e), { passive: false });
    host.addEventListener("pointerdown", (e) => this.onDown(e));
    host.addEventListener("pointermove", (e) => this.onMove(e));
    host.addEventListener("pointerup", (e) => this.onUp(e));
    host.addEventListener("pointercancel", () => (this.drag = null));
    // A drag ends with a click on whatever is under the pointer: swallow it.
    host.addEventListener(
      "click",
      (e) => {
        if (this.suppressClick) {
          e.stopPropagation();
          e.preventDefault();
          this.suppressClick = false;
        }
      },
      true,
    );
  }

  /** A new drawing: fitted unless the user has moved the view. */
  attach(target: SVGGElement, width: number, height: number): void {
    this.target = target;
    this.content = { w: width, h: height };
    if (this.moved) this.apply();
    else this.fit(false);
  }

  get scale(): number {
    return this.k;
  }

  fit(byUser = true): void {
    const { width, height } = this.size;
    const { w, h } = this.content;
    if (byUser) this.moved = false;
    if (w <= 0 || h <= 0 || width <= 0 || height <= 0) {
      this.k = 1;
      this.x = MARGIN;
      this.y = MARGIN;
      return this.apply();
    }
    // Small graphs stay at their natural size; big ones shrink to fit.
    this.k = Math.max(MIN_SCALE, Math.min(1.25, (width - 2 * MARGIN) / w, (height - 2 * MARGIN) / h));
    this.x = (width - w * this.k) / 2;
    this.y = Math.max(MARGIN, (height - h * this.k) / 2);
    this.apply();
  }

  zoomBy(factor: number, at?: { x: number; y: number }): void {
    const sx = at ? at.x : this.size.width / 2;
    const sy = at ? at.y : this.size.height / 2;
    const k = Math.max(MIN_SCALE, Math.min(MAX_SCALE, this.k * factor));
    this.x = sx - ((sx - this.x) * k) / this.k;
    this.y = sy - ((sy - this.y) * k) / this.k;
    this.k = k;
    this.moved = true;
    this.apply();
  }

  /** Whether a box of the drawing is wholly on screen. */
  isVisible(box: Box): boolean {
    const { width, height } = this.size;
    const left = this.x + (box.x - box.w / 2) * this.k;
    const top = this.y + (box.y - box.h / 2) * this.k;
    return left >= 0 && top >= 0 && left + box.w * this.k <= width && top + box.h * this.k <= height;
  }

  /** Centres a point of the drawing, zooming in to a readable size if needed. The view
   * then stays where it was taken (no refit on a resize or a new layout). */
  centre(box: Box, readable = false): void {
    const { width, height } = this.size;
    this.moved = true;
    if (readable && this.k < 0.6) this.k = 0.9;
    this.x = width / 2 - box.x * this.k;
    this.y = height / 2 - box.y * this.k;
    this.apply();
  }

  private apply(): void {
    this.target?.setAttribute("transform", `translate(${this.x.toFixed(2)} ${this.y.toFixed(2)}) scale(${this.k.toFixed(4)})`);
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const rect = this.host.getBoundingClientRect();
    // Pinch gestures arrive as wheel events with ctrlKey and small deltas.
    const speed = e.ctrlKey ? 0.01 : 0.0015;
    const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    this.zoomBy(Math.exp(-delta * speed), { x: e.clientX - rect.left, y: e.clientY - rect.top });
  }

  private onDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    this.drag = { px: e.clientX, py: e.clientY, x: this.x, y: this.y, active: false };
  }

  private onMove(e: PointerEvent): void {
    const d = this.drag;
    if (!d) return;
    const dx = e.clientX - d.px;
    const dy = e.clientY - d.py;
    if (!d.active && Math.hypot(dx, dy) < 4) return;
    if (!d.active) {
      d.active = true;
      this.host.setPointerCapture(e.pointerId);
      this.host.classList.add("panning");
    }
    this.x = d.x + dx;
    this.y = d.y + dy;
    this.moved = true;
    this.apply();
  }

  private onUp(e: PointerEvent): void {
    if (this.drag?.active) {
      this.suppressClick = true;
      setTimeout(() => (this.suppressClick = false), 0);
      this.host.releasePointerCapture(e.pointerId);
      this.host.classList.remove("panning");
    }
    this.drag = null;
  }
}

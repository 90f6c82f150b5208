/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The per-CPU timeline: one canvas row per CPU, a bar per slice coloured by thread (idle left
 * blank, kernel grey), markers as dashed lines, the selected thread's wakeups as arrows from the
 * waking CPU to where it ran. Wheel zooms about the pointer, a drag pans, a click selects the
 * slice under it. The canvas carries its geometry as data attributes (`data-start-ns`,
 * `data-end-ns`, `data-label-px`, `data-axis-px`, `data-row-px`) so a test can aim a click.
 */
import { threadColour } from './dom.ts';
import { type CpuSlice, firstEndingAfter, sliceAt, type TraceModel } from './trace-model.ts';
import { formatTick, nsAt, pan, type Range, xOf, zoomAt } from './view-range.ts';

export const LABEL_PX = 56;
export const AXIS_PX = 22;
export const ROW_PX = 26;
const BAR_PX = 20;

export class Timeline {
  readonly canvas: HTMLCanvasElement;
  readonly #model: TraceModel;
  readonly #bounds: Range;
  range: Range;
  selectedTid = -1;
  onSelect: (slice: CpuSlice) => void = () => {};
  onRange: (range: Range) => void = () => {};

  constructor(model: TraceModel) {
    this.#model = model;
    this.#bounds = { startNs: model.startNs, endNs: Math.max(model.endNs, model.startNs + 1) };
    this.range = this.#bounds;
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'timeline';
    this.canvas.style.height = `${AXIS_PX + ROW_PX * model.cpus.length + 4}px`;
    this.#listen();
  }

  get plotWidth(): number {
    return Math.max(1, this.canvas.clientWidth - LABEL_PX);
  }

  setRange(range: Range, notify = true): void {
    this.range = range;
    this.draw();
    if (notify) this.onRange(range);
  }

  zoom(factor: number, anchor = 0.5): void {
    this.setRange(zoomAt(this.range, factor, anchor, this.#bounds));
  }

  reset(): void {
    this.setRange(this.#bounds);
  }

  draw(): void {
    const c = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    c.width = Math.round(c.clientWidth * ratio);
    c.height = Math.round(c.clientHeight * ratio);
    const g = c.getContext('2d');
    if (g === null) return;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, c.clientWidth, c.clientHeight);
    this.#axis(g);
    for (const [cpu, row] of this.#model.cpus.entries()) this.#row(g, row, cpu);
    this.#markers(g);
    this.#wakeArrows(g);
    Object.assign(c.dataset, {
      startNs: String(Math.round(this.range.startNs)),
      endNs: String(Math.round(this.range.endNs)),
      labelPx: String(LABEL_PX),
      axisPx: String(AXIS_PX),
      rowPx: String(ROW_PX),
      selectedTid: String(this.selectedTid),
    });
  }

  #x(ns: number): number {
    return LABEL_PX + xOf(this.range, this.plotWidth, ns);
  }

  #axis(g: CanvasRenderingContext2D): void {
    g.fillStyle = '#333';
    g.font = '11px sans-serif';
    const ticks = 6;
    const stepNs = (this.range.endNs - this.range.startNs) / ticks;
    for (let i = 0; i <= ticks; i++) {
      const ns = this.range.startNs + stepNs * i;
      const x = this.#x(ns);
      g.fillRect(x, AXIS_PX - 5, 1, 5);
      g.textAlign = i === 0 ? 'left' : i === ticks ? 'right' : 'center';
      g.fillText(formatTick(ns, stepNs), x, AXIS_PX - 8);
    }
  }

  #row(g: CanvasRenderingContext2D, row: readonly CpuSlice[], cpu: number): void {
    const y = AXIS_PX + cpu * ROW_PX;
    g.fillStyle = '#f3f3f3';
    g.fillRect(LABEL_PX, y, this.plotWidth, BAR_PX);
    g.fillStyle = '#222';
    g.textAlign = 'left';
    g.fillText(`CPU ${cpu}`, 4, y + 14);
    let lastX = -1;
    for (let i = firstEndingAfter(row, this.range.startNs); i < row.length; i++) {
      const s = row[i]!;
      if (s.startNs >= this.range.endNs) break;
      if (s.cat === 'idle') continue;
      const x0 = Math.max(LABEL_PX, this.#x(s.startNs));
      const x1 = Math.min(LABEL_PX + this.plotWidth, this.#x(s.endNs));
      const selected = s.tid === this.selectedTid && s.tid >= 0;
      if (x1 < lastX + 1 && !selected) continue; // many slices in one pixel: draw one
      lastX = x1;
      const dim = this.selectedTid >= 0 && !selected;
      g.fillStyle = s.tid < 0 ? '#999' : threadColour(s.tid, dim ? 0.3 : 1);
      g.fillRect(x0, y, Math.max(1, x1 - x0), BAR_PX);
      if (selected) {
        g.strokeStyle = '#000';
        g.lineWidth = 2;
        g.strokeRect(x0, y + 1, Math.max(1, x1 - x0), BAR_PX - 2);
      }
      if (x1 - x0 > 40) {
        g.fillStyle = '#fff';
        g.fillText(s.name, x0 + 3, y + 14, x1 - x0 - 6);
      }
    }
  }

  #markers(g: CanvasRenderingContext2D): void {
    g.strokeStyle = '#c00';
    g.setLineDash([4, 3]);
    g.lineWidth = 1;
    for (const m of this.#model.markers) {
      if (m.ns < this.range.startNs || m.ns > this.range.endNs) continue;
      const x = this.#x(m.ns);
      g.beginPath();
      g.moveTo(x, AXIS_PX);
      g.lineTo(x, this.canvas.clientHeight);
      g.stroke();
    }
    g.setLineDash([]);
  }

  #wakeArrows(g: CanvasRenderingContext2D): void {
    const t = this.#model.threads.get(this.selectedTid);
    if (t === undefined) return;
    g.save();
    g.beginPath();
    g.rect(LABEL_PX, AXIS_PX, this.plotWidth, this.canvas.clientHeight - AXIS_PX);
    g.clip(); // an arrow from a wake before the view starts at the plot's edge, not on the labels
    g.strokeStyle = '#000';
    g.fillStyle = '#000';
    g.lineWidth = 1.5;
    for (const w of t.wakeups) {
      if (w.runNs < this.range.startNs || w.wakeNs > this.range.endNs || w.wakerCpu < 0) continue;
      const [x0, y0] = [this.#x(w.wakeNs), AXIS_PX + w.wakerCpu * ROW_PX + BAR_PX / 2];
      const [x1, y1] = [this.#x(w.runNs), AXIS_PX + w.cpu * ROW_PX + BAR_PX / 2];
      g.beginPath();
      g.moveTo(x0, y0);
      g.lineTo(x1, y1);
      g.stroke();
      g.beginPath();
      g.arc(x1, y1, 3, 0, 2 * Math.PI);
      g.fill();
    }
    g.restore();
  }

  /** The slice under canvas point (x, y), or null. */
  hit(x: number, y: number): CpuSlice | null {
    const cpu = Math.floor((y - AXIS_PX) / ROW_PX);
    const row = this.#model.cpus[cpu];
    if (row === undefined || x < LABEL_PX || (y - AXIS_PX) % ROW_PX > BAR_PX) return null;
    const s = sliceAt(row, nsAt(this.range, this.plotWidth, x - LABEL_PX));
    return s === null || s.cat === 'idle' ? null : s;
  }

  #listen(): void {
    const c = this.canvas;
    c.addEventListener('wheel', (e) => {
      e.preventDefault();
      const anchor = Math.min(1, Math.max(0, (e.offsetX - LABEL_PX) / this.plotWidth));
      this.zoom(Math.exp(e.deltaY * 0.002), anchor);
    });
    let down: { x: number; range: Range } | null = null;
    let moved = 0;
    c.addEventListener('mousedown', (e) => {
      down = { x: e.offsetX, range: this.range };
      moved = 0;
    });
    c.addEventListener('mousemove', (e) => {
      if (down === null) return;
      moved = Math.max(moved, Math.abs(e.offsetX - down.x));
      if (moved > 3) this.setRange(pan(down.range, (down.x - e.offsetX) / this.plotWidth, this.#bounds));
    });
    c.addEventListener('mouseup', (e) => {
      if (down !== null && moved <= 3) {
        const s = this.hit(e.offsetX, e.offsetY);
        if (s !== null && s.tid >= 0) this.onSelect(s);
      }
      down = null;
    });
    c.addEventListener('mouseleave', () => {
      down = null;
    });
  }
}

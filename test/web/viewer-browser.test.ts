/**
 * The viewer in a real browser (issue 21): Debian's chromium driven by playwright-core opens a
 * seed scenario's run (report and trace, served by `smpsim view`), zooms into a slice with the
 * mouse wheel, clicks it, and checks the page shows that thread's details and wakeups; the
 * screenshot is kept under the test's temp dir (the path is printed as a diagnostic).
 *
 * A second test serves two runs and checks they are shown side by side, with their metrics in
 * one table and the zoom of one timeline followed by the other.
 *
 * Without /usr/bin/chromium the test is skipped, saying so, except under CI=true, where a
 * missing browser fails it (.ci/run installs chromium).
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startView } from '../../src/cli/view.ts';
import { buildModel, type CpuSlice, type RawEvent } from '../../src/web/trace-model.ts';
import { AXIS_PX, LABEL_PX, ROW_PX } from '../../src/web/timeline.ts';

const CHROMIUM = '/usr/bin/chromium';
const SEED = join(import.meta.dirname, '..', '..', 'scenarios', 'seeds', 'sched-wakeup-latency.toml');

/** The longest thread slice that ended a wait (a wakeup flow ends in it): the one to click. */
function target(slices: readonly CpuSlice[][]): CpuSlice {
  const woken = slices.flat().filter((s) => s.tid >= 0 && typeof s.args.wake_latency_ns === 'number');
  assert.ok(woken.length > 0, 'the seed has woken threads');
  return woken.reduce((a, b) => (b.endNs - b.startNs > a.endNs - a.startNs ? b : a));
}

/** False (the test skipped, saying why) when there is no browser outside CI; under CI, a failure. */
function haveChromium(t: { skip: (message: string) => void }): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') assert.fail(`${CHROMIUM} is missing under CI (.ci/run installs chromium)`);
  t.skip(`${CHROMIUM} not installed: apt-get install -y chromium to run the browser test`);
  return false;
}

/** The seed's report and trace, copied out of the first server's temporary directory. */
const keptRun: { report?: string; trace?: string } = {};

test('viewer: open a seed run, zoom, click a slice, see the thread and its wakeups', async (t) => {
  if (!haveChromium(t)) return;
  const { chromium } = await import('playwright-core');
  const { server, runs, cleanup } = await startView([SEED]);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'smpsim-viewer-test-'));
    keptRun.report = join(dir, 'seed.json');
    keptRun.trace = join(dir, 'seed.trace.json');
    copyFileSync(runs[0]!.files[0]!, keptRun.report);
    copyFileSync(runs[0]!.files[1]!, keptRun.trace);
    const events = (JSON.parse(readFileSync(runs[0]!.files[1]!, 'utf8')) as { traceEvents: RawEvent[] })
      .traceEvents;
    const model = buildModel(events);
    const slice = target(model.cpus);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
    assert.match((await page.textContent('.report h3')) ?? '', /^sched-wakeup-latency — seed 1/);
    const canvas = page.locator('canvas.timeline');
    const box = (await canvas.boundingBox())!;
    const geometry = async () => {
      const d = await canvas.evaluate((c: HTMLCanvasElement) => ({ ...c.dataset }));
      return { startNs: Number(d.startNs), endNs: Number(d.endNs), selected: Number(d.selectedTid) };
    };
    const whole = await geometry();
    assert.deepEqual([whole.startNs, whole.endNs], [model.startNs, model.endNs]);
    const plotPx = box.width - LABEL_PX;
    const xFor = (g: { startNs: number; endNs: number }, ns: number) =>
      box.x + LABEL_PX + ((ns - g.startNs) / (g.endNs - g.startNs)) * plotPx;
    const midNs = (slice.startNs + slice.endNs) / 2;
    const y = box.y + AXIS_PX + slice.cpu * ROW_PX + 10;
    // Zoom about the slice's middle until the slice is at least 40 px wide.
    for (let step = 0; step < 40; step++) {
      const g = await geometry();
      if (((slice.endNs - slice.startNs) / (g.endNs - g.startNs)) * plotPx >= 40) break;
      await page.mouse.move(xFor(g, midNs), y);
      await page.mouse.wheel(0, -400);
      await page.waitForFunction(
        (prev) =>
          Number(document.querySelector('canvas')!.dataset.endNs) -
            Number(document.querySelector('canvas')!.dataset.startNs) <
          prev,
        g.endNs - g.startNs,
      );
    }
    const zoomed = await geometry();
    assert.ok(zoomed.endNs - zoomed.startNs < (whole.endNs - whole.startNs) / 10, 'zoomed in more than 10x');
    assert.ok(zoomed.startNs <= midNs && midNs <= zoomed.endNs, 'the slice stayed in view');
    await page.mouse.click(xFor(zoomed, midNs), y);
    await page.waitForSelector('.details[data-tid]');
    const thread = model.threads.get(slice.tid)!;
    assert.equal((await geometry()).selected, slice.tid);
    assert.equal(
      await page.textContent('.details h3'),
      `${thread.name} (tid ${thread.tid}, pid ${thread.pid})`,
    );
    const wakeRows = await page.locator('.details table.wakeups tbody tr').count();
    assert.equal(wakeRows, Math.min(200, thread.wakeups.length));
    assert.ok(wakeRows > 0);
    assert.equal(
      await page.locator('.details table.history tbody tr').count(),
      Math.min(200, thread.states.length),
    );
    const shot = join(dir, 'viewer.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 10_000, 'a screenshot with something in it');
    t.diagnostic(`screenshot: ${shot}`);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.close();
    cleanup();
  }
});

test('viewer: two runs side by side, metrics in one table, zoom linked', async (t) => {
  if (!haveChromium(t)) return;
  assert.ok(keptRun.report !== undefined && keptRun.trace !== undefined, 'the first test ran');
  const dir = mkdtempSync(join(tmpdir(), 'smpsim-viewer-pair-'));
  const files = ['a.json', 'a.trace.json', 'b.json', 'b.trace.json'].map((f) => join(dir, f));
  [keptRun.report, keptRun.trace, keptRun.report, keptRun.trace].forEach((from, i) => {
    copyFileSync(from, files[i]!);
  });
  const { chromium } = await import('playwright-core');
  const { server } = await startView(files);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
    assert.equal(await page.getAttribute('#panes', 'class'), 'two');
    assert.deepEqual(await page.locator('.pane h2').allTextContents(), ['a', 'b']);
    const report = JSON.parse(readFileSync(keptRun.report, 'utf8')) as { metrics: Record<string, number> };
    const rows = page.locator('#compare table.metrics tbody tr');
    assert.equal(await rows.count(), Object.keys(report.metrics).length);
    // The same run twice: every ratio B / A is 1 (or — where A is 0).
    const ratios = await page.locator('#compare table.metrics tbody tr td:last-child').allTextContents();
    assert.ok(
      ratios.every((r) => r === '1.000' || r === '—'),
      ratios.join(','),
    );
    const canvases = page.locator('canvas.timeline');
    assert.equal(await canvases.count(), 2);
    const box = (await canvases.nth(0).boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + AXIS_PX + 10);
    const range = (i: number) =>
      canvases.nth(i).evaluate((c: HTMLCanvasElement) => [c.dataset.startNs, c.dataset.endNs]);
    const before = await range(0);
    await page.mouse.wheel(0, -600);
    await page.waitForFunction(
      (end) => document.querySelectorAll('canvas')[0]!.dataset.endNs !== end,
      before[1],
    );
    const [a, b] = [await range(0), await range(1)];
    assert.deepEqual(b, a);
    assert.ok(Number(a[1]) - Number(a[0]) < Number(JSON.parse(readFileSync(keptRun.report, 'utf8')).sim_ns));
  } finally {
    await browser.close();
    await server.close();
  }
});

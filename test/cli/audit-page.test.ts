/// <reference lib="dom" />
// The HTML audit page as a person sees it: opened in a real headless Chromium (Debian's chromium,
// driven by playwright-core), a screenshot taken of the drawing, and its pixels read back: the path
// taken is highlighted, the failed state marked, the state that caught the error marked apart, the
// states never reached dimmed. Skipped, saying why, only where no Chromium is installed.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphOf } from '../../scripts/audit/graph.ts';
import { htmlReport } from '../../scripts/audit/html.ts';
import { dir, recorded } from './audit-support.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const folder = mkdtempSync(join(tmpdir(), 'runbook-audit-page-'));

/** The colour of a pixel of the screenshot, read back by the browser from the PNG it wrote. */
async function pixelsAt(browser: Browser, png: Buffer, points: { x: number; y: number }[]) {
  const reader = await browser.newPage();
  try {
    await reader.setContent('<canvas></canvas>');
    return await reader.evaluate(
      async ({ data, points }) => {
        const image = new Image();
        image.src = `data:image/png;base64,${data}`;
        await image.decode();
        const canvas = document.querySelector('canvas') as HTMLCanvasElement;
        canvas.width = image.width;
        canvas.height = image.height;
        const context = canvas.getContext('2d') as CanvasRenderingContext2D;
        context.drawImage(image, 0, 0);
        return points.map(({ x, y }) =>
          Array.from(context.getImageData(Math.round(x), Math.round(y), 1, 1).data),
        );
      },
      { data: png.toString('base64'), points },
    );
  } finally {
    await reader.close();
  }
}

describe.skipIf(!CHROMIUM)(
  `the audit page in headless Chromium${CHROMIUM ? '' : ' (skipped: no chromium installed; apt-get install chromium)'}`,
  () => {
    let browser: Browser;
    let page: Page;
    beforeAll(async () => {
      const { report, records } = await recorded('crash-loop');
      const file = join(folder, 'crash-loop.html');
      writeFileSync(file, htmlReport(report, records, graphOf));
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      // Nothing may be fetched: any request but the page itself fails the test.
      const fetched: string[] = [];
      page.on('request', (r) => {
        if (r.url() !== `file://${file}`) fetched.push(r.url());
      });
      await page.goto(`file://${file}`);
      expect(fetched).toEqual([]);
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      rmSync(folder, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    });

    it('marks the path, the failed state, the caught error and what was never reached, in pixels', async () => {
      // Given the drawing of the first run (the deployment that rolled back), shown whole
      await page.addStyleTag({ content: '.drawing { max-height: none; overflow: visible; }' });
      const drawing = page.locator('section.run .drawing').first();
      const png = await drawing.screenshot({ path: join(folder, 'drawing.png') });
      // When the inside of a few states' boxes is read from the screenshot
      const inside = async (state: string) =>
        drawing.evaluate((d, name) => {
          const rect = d.querySelector(`g.state[data-state="${name}"] rect`)?.getBoundingClientRect();
          if (!rect) throw new Error(`${name} is not drawn`);
          const outer = d.getBoundingClientRect();
          return { x: rect.x - outer.x + 4, y: rect.y - outer.y + rect.height / 2 };
        }, state);
      const names = ['Rolled Back', 'Check Rollout', 'Update Service', 'Bake Finished?'];
      const [failed, caught, taken, unreached] = await pixelsAt(
        browser,
        png,
        await Promise.all(names.map(inside)),
      );
      // Then the failed state is red, the catching one amber, the path blue, the unreached nearly white
      const [r, g, b] = failed as number[];
      expect(r).toBeGreaterThan(240);
      expect(g).toBeLessThan(225);
      expect(Math.abs((g ?? 0) - (b ?? 0))).toBeLessThan(12);
      expect(caught?.[0]).toBeGreaterThan(240);
      expect(caught?.[2]).toBeLessThan(225);
      expect(taken?.[2]).toBeGreaterThan(240);
      expect(taken?.[0]).toBeLessThan(225);
      expect(Math.min(...(unreached as number[]).slice(0, 3))).toBeGreaterThan(240);
    });

    it('has the marks in the rendered DOM: the caught edge taken, the times on hover', async () => {
      const classes = (state: string) =>
        page.locator(`section.run .drawing g.state[data-state="${state}"]`).first().getAttribute('class');
      expect(await classes('Rolled Back')).toContain('failed');
      expect(await classes('Check Rollout')).toContain('caught');
      expect(await classes('Bake Finished?')).toContain('unreached');
      const edge = page
        .locator('section.run .drawing g.edge.catch[data-from="Check Rollout"][data-to="Hand Over Lock"]')
        .first();
      expect(await edge.getAttribute('class')).toContain('taken');
      expect(
        await page
          .locator('section.run .drawing g.state[data-state="Check Rollout"] title')
          .first()
          .textContent(),
      ).toMatch(/Check Rollout: \d+ (min|s).*visits.*caught DeploymentFailed/);
      // And the nested rollback is drawn too, its own path marked
      expect(
        await page
          .locator('section.run section.run .drawing g.state.taken[data-state="Restore Service"]')
          .count(),
      ).toBe(1);
      const opacity = await page
        .locator('section.run .drawing g.state[data-state="Bake Finished?"]')
        .first()
        .evaluate((e) => getComputedStyle(e).opacity);
      expect(Number(opacity)).toBeLessThan(0.5);
    });
  },
);

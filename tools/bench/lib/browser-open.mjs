// The inspector page's own figure for opening an image's metadata (footer, header, BAT read and validated), in
// Debian's headless chromium: each run loads the page afresh, picks the file and reads `data-open-ms`, which the
// page measures with performance.now() around the open alone (drawing and checking come after and are not timed).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NotAvailable, repoRoot } from './ours.mjs';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const inspectorDist = join(repoRoot, 'tools/inspector/dist');

/** Starts the page's server and chromium; `open(path)` returns the page's figure for one fresh open of `path`. */
export async function startInspector() {
  if (!existsSync(CHROMIUM_PATH)) throw new NotAvailable(`${CHROMIUM_PATH} not found (npm run setup:interop)`);
  if (!existsSync(join(inspectorDist, 'inspector.js'))) throw new NotAvailable('tools/inspector/dist has no built page (npm run build)');
  const { chromium } = await import('playwright-core');
  const { startStaticServer } = await import('../../inspector/scripts/static-server.mjs');
  const server = await startStaticServer({ mounts: { '/': inspectorDist } });
  let browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox'] });
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    async open(path) {
      const page = await browser.newPage();
      try {
        await page.goto(`${server.url}/`);
        await page.setInputFiles('#file-input', [path]);
        await page.waitForSelector('.timing[data-open-ms], #status[data-state="error"]', { timeout: 60_000 });
        const openMs = Number(await page.getAttribute('.timing', 'data-open-ms'));
        if (!(openMs > 0)) throw new Error(`the page did not open ${path}: ${await page.textContent('#status')}`);
        return openMs;
      } finally {
        await page.close();
      }
    },
    async stop() {
      await browser.close();
      await server.close();
    },
  };
}

import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { requireInterop } from '@vhdkit/test-support';

/** Debian's chromium (CHROMIUM_PATH overrides); never a downloaded browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether the system chromium is there; under VPC_REQUIRE_INTEROP=1 a missing one throws instead of skipping. */
export function chromiumProbe(): { available: boolean; reason?: string } {
  if (existsSync(CHROMIUM_PATH)) return { available: true };
  const reason = `${CHROMIUM_PATH} not found (run npm run setup:interop)`;
  if (requireInterop()) throw new Error(`VPC_REQUIRE_INTEROP=1 but ${reason}`);
  console.warn(`[inspector] skipping the browser tests: ${reason}`);
  return { available: false, reason };
}

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox'] });
}

/**
 * Records every console error, uncaught page error and CSP violation of `page`: the page must run under its
 * strict policy without any of them.
 */
export function watchPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  // Init scripts come from the driver, not the page, so the policy under test does not apply to this one.
  void page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
  return errors;
}

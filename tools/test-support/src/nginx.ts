import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { requireInterop } from './interop.js';
import { NGINX_BINARY } from './nginx-server.mjs';

export { NGINX_BINARY, startNginx, type NginxLocation, type NginxServer } from './nginx-server.mjs';

export interface NginxProbe {
  available: boolean;
  reason?: string;
}

let probed: NginxProbe | undefined;

/**
 * Whether nginx can be run here. When it cannot and VPC_REQUIRE_INTEROP=1 this throws (CI must run the HTTP
 * tests); otherwise the reason is printed and tests use `describe.skipIf(!probe.available)`.
 */
export function nginx(): NginxProbe {
  if (!probed) {
    const result = existsSync(NGINX_BINARY) ? spawnSync(NGINX_BINARY, ['-v'], { encoding: 'utf8' }) : undefined;
    if (!result) probed = { available: false, reason: `${NGINX_BINARY} not found (run npm run setup:interop)` };
    else if (result.error || result.status !== 0) probed = { available: false, reason: `${NGINX_BINARY} -v failed: ${result.error?.message ?? result.stderr}` };
    else probed = { available: true };
  }
  if (!probed.available) {
    if (requireInterop()) throw new Error(`VPC_REQUIRE_INTEROP=1 but ${probed.reason}`);
    console.warn(`[interop] skipping tests that need nginx: ${probed.reason}`);
  }
  return probed;
}

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireInterop } from './interop.js';

/** Debian's nginx (package nginx-light, installed by tools/setup-interop.sh). */
export const NGINX_BINARY = '/usr/sbin/nginx';

/**
 * The locations every test server has, each serving the same folder (`/<location>/<file>`):
 * - `ranges`: plain static serving, byte ranges on, strong ETag + Last-Modified;
 * - `no-ranges`: `max_ranges 0`, so a Range request gets the whole file (200);
 * - `no-etag`: `etag off`, so Last-Modified is the only validator;
 * - `slow`: ranges on but sent at 256 KiB/s, to have requests in flight long enough to abort them;
 * - `drop`: `return 444`, nginx closes the connection without answering;
 * - `status-<code>` for 404, 403, 503: that status, always.
 */
export type NginxLocation = 'ranges' | 'no-ranges' | 'no-etag' | 'slow' | 'drop' | 'status-404' | 'status-403' | 'status-503';

export interface NginxServer {
  /** The folder served. */
  readonly root: string;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** The URL of `file` (relative to the root, `/`-separated) under `location`. */
  url(location: NginxLocation, file: string): string;
  /** Stops nginx and removes its temp folder (not the served one). */
  stop(): Promise<void>;
}

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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function config(home: string, root: string, port: number): string {
  const served = `alias ${root}/;`;
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(home, 'temp', kind)};`).join('\n');
  return `# written by @vhdkit/test-support nginx.ts for one test run
${process.getuid?.() === 0 ? 'user root root;' : ''}
worker_processes 1;
pid ${join(home, 'nginx.pid')};
error_log ${join(home, 'error.log')} warn;
events { worker_connections 128; }
http {
  access_log off;
${temp}
  default_type application/octet-stream;
  sendfile on;
  keepalive_requests 10000;
  server {
    listen 127.0.0.1:${port};
    location /ranges/ { ${served} }
    location /no-ranges/ { ${served} max_ranges 0; }
    location /no-etag/ { ${served} etag off; }
    location /slow/ { ${served} limit_rate 256k; }
    location /drop/ { return 444; }
    location /status-404/ { return 404; }
    location /status-403/ { return 403; }
    location /status-503/ { return 503; }
  }
}
`;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function launch(home: string, root: string): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const conf = join(home, 'nginx.conf');
  await writeFile(conf, config(home, root, port));
  const child = spawn(NGINX_BINARY, ['-p', home, '-c', conf, '-e', join(home, 'error.log'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  for (let waited = 0; waited < 5000; waited += 20) {
    if (child.exitCode !== null) {
      const log = existsSync(join(home, 'error.log')) ? readFileSync(join(home, 'error.log'), 'utf8') : '';
      throw new Error(`nginx exited with ${child.exitCode}: ${stderr}${log}`);
    }
    if (await accepts(port)) return { child, port };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGKILL');
  await exited(child);
  throw new Error(`nginx did not listen on 127.0.0.1:${port} within 5 s: ${stderr}`);
}

/** Starts Debian's nginx in the foreground on a free 127.0.0.1 port, serving `root` (see NginxLocation). */
export async function startNginx(root: string): Promise<NginxServer> {
  const home = await mkdtemp(join(tmpdir(), 'vhdkit-nginx-'));
  await mkdir(join(home, 'temp'));
  let launched: { child: ChildProcess; port: number } | undefined;
  // The free port may be taken between probing and nginx binding it; try again then.
  for (let attempt = 1; !launched; attempt++) {
    try {
      launched = await launch(home, root);
    } catch (error) {
      if (attempt >= 3 || !String(error).includes('Address already in use')) {
        await rm(home, { recursive: true, force: true });
        throw error;
      }
    }
  }
  const { child, port } = launched;
  const origin = `http://127.0.0.1:${port}`;
  return {
    root,
    origin,
    url: (location, file) => `${origin}/${location}/${file.split('/').map(encodeURIComponent).join('/')}`,
    stop: async () => {
      child.kill('SIGTERM');
      await exited(child);
      await rm(home, { recursive: true, force: true });
    },
  };
}

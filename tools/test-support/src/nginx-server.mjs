// Starts and stops Debian's nginx for one test run or bench case. Plain JavaScript (types in nginx-server.d.mts) so
// that tools/bench, which runs without a TypeScript loader, uses the same server as the tests.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NGINX_BINARY = '/usr/sbin/nginx';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

function config(home, root, port) {
  const served = `alias ${root}/;`;
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(home, 'temp', kind)};`).join('\n');
  // As root, nginx would switch its worker to `nobody`, which cannot enter a 0700 temp folder.
  return `# written by @vhdkit/test-support nginx-server.mjs for one run
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
  keepalive_requests 100000;
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

function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function launch(home, root) {
  const port = await freePort();
  const conf = join(home, 'nginx.conf');
  const errorLog = join(home, 'error.log');
  await writeFile(conf, config(home, root, port));
  const child = spawn(NGINX_BINARY, ['-p', home, '-c', conf, '-e', errorLog, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk.toString('utf8')));
  for (let waited = 0; waited < 5000; waited += 20) {
    if (child.exitCode !== null) {
      const log = existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '';
      throw new Error(`nginx exited with ${child.exitCode}: ${stderr}${log}`);
    }
    if (await accepts(port)) return { child, port };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGKILL');
  await exited(child);
  throw new Error(`nginx did not listen on 127.0.0.1:${port} within 5 s: ${stderr}`);
}

/** Starts nginx in the foreground on a free 127.0.0.1 port, serving `root` under every location. */
export async function startNginx(root) {
  const home = await mkdtemp(join(tmpdir(), 'vhdkit-nginx-'));
  await mkdir(join(home, 'temp'));
  let launched;
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

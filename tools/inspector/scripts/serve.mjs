// `npm run inspector`: serves the built page on 127.0.0.1 (PORT, default 8047) with its CSP. With
// `--images <folder>`, that folder is served under /images/ so its VHDs open by URL (parents beside them).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startStaticServer } from './static-server.mjs';

const { values } = parseArgs({ options: { images: { type: 'string' }, port: { type: 'string' } } });
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const mounts = { '/': dist };
if (values.images) mounts['/images/'] = resolve(values.images);
const server = await startStaticServer({ mounts, port: Number(values.port ?? process.env.PORT ?? 8047) });
console.log(`VHD inspector: ${server.url}/`);
if (values.images) console.log(`images from ${mounts['/images/']}: ${server.url}/images/<name>.vhd (paste into the URL box)`);
process.on('SIGINT', () => void server.close().then(() => process.exit(0)));

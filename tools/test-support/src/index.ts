export { interop, requireInterop, type InteropTool, type ToolProbe } from './interop.js';
export { sharedFixtures, sharedFixturePath, type SharedFixtureFacts } from './shared-fixtures.js';
export { repoFixtures, repoFixturePath, type RepoFixtureFacts } from './repo-fixtures.js';
export { tempDir, sha256File, sha256Bytes, run, type RunResult } from './files.js';
export { testFolder, type TestFolder } from './test-folders.js';
export { nginx, startNginx, NGINX_BINARY, type NginxServer, type NginxLocation, type NginxProbe } from './nginx.js';
export { expectRejection } from './rejections.js';
export { withSmallVolume } from './small-volume.js';

// The main job on a bundled default: a small dynamic parent, a differencing child next to it (with a progress bar),
// and the child's facts as `vpc info` prints them. Everything goes to demo-output/ (git-ignored), fresh each run, or to
// the folder VHDKIT_DEMO_OUTPUT names (the test that keeps this demo working uses a temporary one).
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { VirtualPC, readImageInfoWithMetadata, renderInfoText, resolvedChain } from '@vhdkit/vpc-api';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const outputFolder = process.env.VHDKIT_DEMO_OUTPUT ?? path.join(repositoryRoot, 'demo-output');
const parentPath = path.join(outputFolder, 'parent.vhd');
const PARENT_SIZE_BYTES = 64 * 1024 * 1024;

await rm(outputFolder, { recursive: true, force: true });
await mkdir(outputFolder, { recursive: true });

const vpc = new VirtualPC();
try {
  const parent = await vpc.createDynamicVirtualHardDisk(parentPath, PARENT_SIZE_BYTES);
  console.log(`parent: ${parent.path} (dynamic, ${parent.virtualSize} bytes, id ${parent.uniqueIdText})`);

  // A relative image path is resolved against the parent's folder (never the working directory).
  const childTask = vpc.createDifferencingVirtualHardDisk('child.vhd', parentPath);
  const bar = new cliProgress.SingleBar({ format: 'child  [{bar}] {percentage}% | {value}/{total} bytes', noTTYOutput: true, notTTYSchedule: 50 }, cliProgress.Presets.shades_classic);
  let started = false;
  childTask.on('progress', ({ bytesWritten, totalBytes }) => {
    if (!started) {
      bar.start(totalBytes, 0);
      started = true;
    }
    bar.update(bytesWritten);
  });
  const child = await childTask;
  if (started) bar.stop();
  console.log(`child:  ${child.path} — task ${childTask.description}: ${childTask.percentCompleted}%, result 0x${childTask.result.toString(16).padStart(8, '0')}`);
  console.log('');

  const { metadata, report } = await readImageInfoWithMetadata(child.path);
  console.log(renderInfoText(metadata, report, await resolvedChain(report)));
} catch (error) {
  console.error(`${error.code ?? 'error'}: ${error.message}`);
  process.exitCode = 1;
}

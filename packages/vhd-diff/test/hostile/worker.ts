/**
 * A batch of hostile cases in a child process: `node worker.js <folder> <firstSeed> <count>`. Prints one JSON
 * line per case: `{"start":seed}` before it (so the parent knows which seed killed the process, if one does),
 * then the CaseOutcome.
 */
import { mkdir } from 'node:fs/promises';
import { plantSecret, runCase } from './harness.js';

const [folder, firstSeedText, countText] = process.argv.slice(2);
if (folder === undefined || firstSeedText === undefined || countText === undefined) {
  console.error('usage: worker.js <folder> <firstSeed> <count>');
  process.exit(2);
}
await mkdir(folder, { recursive: true });
await plantSecret(folder);
const firstSeed = Number(firstSeedText);
const count = Number(countText);
let current = firstSeed;
// Work a timed-out case left running may fail later: that is the current case's defect, not a crash.
process.on('unhandledRejection', (reason) => {
  const detail = `unhandled rejection: ${reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason)}`;
  process.stdout.write(`${JSON.stringify({ seed: current, outcome: 'untyped', detail, late: true })}\n`);
});
for (let seed = firstSeed; seed < firstSeed + count; seed++) {
  current = seed;
  process.stdout.write(`${JSON.stringify({ start: seed })}\n`);
  const outcome = await runCase(seed, folder);
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  // A timed-out case may still be running: leave, so it cannot slow or disturb the next ones (the runner restarts).
  if (outcome.outcome === 'timeout') process.exit(0);
}

/**
 * A CLI sample of the hostile cases (issue 15): a few dozen generated images through the built `vpc` bin
 * (`info`, `check --json`, `cat`). Every failure keeps the error-line contract `0x%08X NAME: message` with no
 * stack trace and no DISP_E_EXCEPTION (that HRESULT is for real bugs); `cat` prints exactly the oracle's bytes
 * or fails when the oracle rejects the image; nothing is killed by a signal or runs past its time limit.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testFolder } from '@vhdkit/test-support';
import { generateCase, plantSecret } from './hostile/harness.js';
import { MustFail, judgeChain } from './hostile/oracle.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const vpcBin = join(repoRoot, 'packages/vpc-api/bin/vpc.js');
/** Seeds of the sample: fixed, so a failure names a case anyone can rerun (`node tools/hostile/run.mjs --show SEED`). */
const SEEDS = Array.from({ length: 24 }, (_, index) => 7_000 + index * 37);
/** What `cat` may print of an image the oracle rejects before the run is cut (it should print nothing). */
const REJECTED_CAT_BYTES = 16 * 1024 * 1024;
const COMMAND_TIME_LIMIT_MS = 20_000;
const ERROR_LINE = /^0x[0-9A-F]{8} [A-Z0-9_]+: \S.*$/;

const folder = testFolder('vhdkit-hostile-cli-');

function vpc(args: string[], maxOutputBytes = 16 * 1024 * 1024) {
  return spawnSync(process.execPath, [vpcBin, ...args], {
    timeout: COMMAND_TIME_LIMIT_MS, killSignal: 'SIGKILL', maxBuffer: maxOutputBytes, env: { ...process.env, LANG: 'C.UTF-8' },
  });
}

/** The contract every command's run keeps, as a list of broken promises (empty when kept). */
function contractViolations(what: string, run: ReturnType<typeof vpc>, okStatuses: number[]): string[] {
  const stderr = run.stderr.toString('utf8');
  if (run.status === null) {
    const why = (run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOBUFS' ? 'printed more than it should' : `killed by ${run.signal} (time limit ${COMMAND_TIME_LIMIT_MS} ms or a crash)`;
    return [`${what}: ${why}`];
  }
  const problems: string[] = [];
  if (!okStatuses.includes(run.status) && run.status !== 1) problems.push(`${what}: exit ${run.status}`);
  if (/\n\s+at .+:\d+:\d+/.test(stderr)) problems.push(`${what}: stack trace on stderr`);
  if (run.status === 1) {
    const first = stderr.split('\n')[0] ?? '';
    if (!args(what).includes('--json') && !ERROR_LINE.test(first)) problems.push(`${what}: error line ${JSON.stringify(first.slice(0, 160))}`);
    if (stderr.includes('DISP_E_EXCEPTION') || run.stdout.toString('utf8').includes('DISP_E_EXCEPTION')) problems.push(`${what}: DISP_E_EXCEPTION: ${first.slice(0, 160)}`);
  }
  return problems;
}

const args = (what: string): string[] => what.split(' ');

describe('vpc on hostile images', () => {
  it(`keeps its contract on ${SEEDS.length} generated cases (info, check --json, cat)`, async () => {
    await plantSecret(folder.path());
    const violations: string[] = [];
    for (const seed of SEEDS) {
      const { images, mutations } = generateCase(seed);
      const verdict = judgeChain(images.map((image) => image.bytes));
      const caseFolder = join(folder.path(), `case-${seed}`);
      await mkdir(caseFolder);
      for (const image of images) await writeFile(join(caseFolder, image.model.name), image.bytes);
      const top = join(caseFolder, images[0]!.model.name);
      const label = `seed ${seed} [${mutations.join('; ') || 'valid'}]`;

      violations.push(...contractViolations(`${label} info`, vpc(['info', top]), [0]));
      const checked = vpc(['check', '--json', top]);
      violations.push(...contractViolations(`${label} check --json`, checked, [0, 2]));
      if (checked.status !== null) {
        try {
          JSON.parse(checked.stdout.toString('utf8'));
        } catch {
          violations.push(`${label} check --json: stdout is not JSON: ${checked.stdout.toString('utf8').slice(0, 120)}`);
        }
      }
      const cat = vpc(['cat', top], verdict.accepted ? Math.min(verdict.virtualSize + 1, 256 * 1024 * 1024) : REJECTED_CAT_BYTES);
      violations.push(...contractViolations(`${label} cat`, cat, [0]));
      if (cat.status === 0) {
        if (!verdict.accepted) {
          violations.push(`${label} cat: exit 0 although the image breaks '${verdict.rule}' (image ${verdict.image})`);
        } else if (verdict.damagedImages.length > 0) {
          // A read may still avoid the damaged block (a child masks it): then its bytes must be the oracle's.
          let expected: Uint8Array | undefined;
          try {
            expected = verdict.read(0, verdict.virtualSize);
          } catch (error) {
            if (!(error instanceof MustFail)) throw error;
            violations.push(`${label} cat: exit 0 although the disk uses a block outside the file`);
          }
          if (expected && !cat.stdout.equals(Buffer.from(expected))) violations.push(`${label} cat: bytes differ from the oracle's`);
        } else if (!cat.stdout.equals(Buffer.from(verdict.read(0, verdict.virtualSize)))) {
          violations.push(`${label} cat: ${cat.stdout.length} bytes that differ from the oracle's ${verdict.virtualSize}`);
        }
      }
    }
    expect(violations).toEqual([]);
  }, 10 * 60 * 1000);
});

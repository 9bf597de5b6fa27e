// Turning measurements into rows and targets. Ratios always come from medians measured in the same run.
import { MIB } from './images.mjs';

/** A row of timings (unit ms). */
export function timeRow(label, tool, outcome, extra = {}) {
  if (outcome?.error) return { label, tool, unit: 'ms', error: outcome.error, ...extra };
  const { median, min, max, runs, samples } = outcome.summary;
  return { label, tool, unit: 'ms', median, min, max, runs, samplesMs: samples, ...extra };
}

/** A row of throughput (MiB/s) from timings of a job moving `bytes`: the slowest run gives the minimum. */
export function throughputRow(label, tool, outcome, bytes, extra = {}) {
  if (outcome?.error) return { label, tool, unit: 'MiB/s', error: outcome.error, ...extra };
  const { median, min, max, runs, samples } = outcome.summary;
  const rate = (ms) => bytes / MIB / (ms / 1000);
  return { label, tool, unit: 'MiB/s', median: rate(median), min: rate(max), max: rate(min), runs, medianMs: median, samplesMs: samples, bytes, ...extra };
}

export function unavailableRow(label, tool, reason, unit = 'ms') {
  return { label, tool, unit, error: reason };
}

/**
 * A target stated as a ratio of two rows' medians: `ours / peer` compared with `bound` by `op`.
 * For times (lower is better) the ratio is ours/peer with op '<='; for throughput ours/peer with op '>='.
 */
export function ratioTarget(name, oursRow, peerRow, op, bound) {
  if (!oursRow || !peerRow || oursRow.error || peerRow.error) {
    const missing = [oursRow, peerRow].find((row) => !row || row.error);
    return { name, target: `${op} ${bound}`, met: undefined, measured: `not measured (${missing?.error ?? 'no data'})` };
  }
  const ratio = oursRow.median / peerRow.median;
  return {
    name,
    target: `${op} ${bound}`,
    ratio,
    met: compare(ratio, op, bound),
    measured: `${formatNumber(oursRow.median)} vs ${formatNumber(peerRow.median)} ${oursRow.unit}`,
  };
}

/** A target on an absolute figure (e.g. MiB/s or MB), for the stated bounds. */
export function absoluteTarget(name, row, op, bound, unit) {
  if (!row || row.error) return { name, target: `${op} ${bound} ${unit}`, met: undefined, measured: `not measured (${row?.error ?? 'no data'})` };
  return {
    name,
    target: `${op} ${bound} ${unit}`,
    met: compare(row.median, op, bound),
    measured: `${formatNumber(row.median)} ${row.unit}`,
  };
}

/** @param {'<' | '<=' | '>=' | '>'} op */
function compare(value, op, bound) {
  if (op === '<') return value < bound;
  if (op === '<=') return value <= bound;
  if (op === '>') return value > bound;
  return value >= bound;
}

export function formatNumber(value) {
  if (value === undefined || Number.isNaN(value)) return '–';
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

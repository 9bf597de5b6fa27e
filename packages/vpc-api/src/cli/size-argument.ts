// Binary multiples, as disk tools use them: 64M = 64 MiB. An optional trailing "B" or "iB" is accepted (64MiB, 2GB).
const MULTIPLIERS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?$/i;

/** Bytes for "512", "64M", "1.5G", "2T"; undefined for anything else (or results that are not safe integers). */
export function parseSizeArgument(text: string): number | undefined {
  const match = SIZE_PATTERN.exec(text.trim());
  if (match === null) return undefined;
  const bytes = Math.round(Number(match[1]) * MULTIPLIERS[match[2]!.toUpperCase()]!);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

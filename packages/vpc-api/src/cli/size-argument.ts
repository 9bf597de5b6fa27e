// Byte counts on the command line (--size, --block-size, --min-free, --offset): a whole number of bytes, or a number
// with a binary-multiple suffix (64M = 64 MiB; an optional trailing "B" or "iB": 64MiB, 2GB). A decimal is accepted
// only where it comes to whole bytes (1.5G, 0.5K); "1.5", "0.4", "7.9" name no byte and are refused, never rounded.
// Scientific ("1e3") and hexadecimal ("0x10") spellings are refused for every option alike.
const MULTIPLIERS: Record<string, bigint> = { '': 1n, K: 1024n, M: 1024n ** 2n, G: 1024n ** 3n, T: 1024n ** 4n };
const SIZE_PATTERN = /^(\d+)(?:\.(\d+))?\s*([KMGT]?)(?:I?B)?$/i;

/** Bytes for "512", "64M", "1.5G", "2T"; undefined for anything else, for fractions of a byte and for unsafe integers. */
export function parseSizeArgument(text: string): number | undefined {
  const match = SIZE_PATTERN.exec(text.trim());
  if (match === null) return undefined;
  const fraction = match[2] ?? '';
  const scale = 10n ** BigInt(fraction.length);
  // Exact arithmetic: (whole.fraction × multiplier) must be an integer.
  const scaled = (BigInt(match[1]!) * scale + BigInt(fraction === '' ? '0' : fraction)) * MULTIPLIERS[match[3]!.toUpperCase()]!;
  if (scaled % scale !== 0n) return undefined;
  const bytes = Number(scaled / scale);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

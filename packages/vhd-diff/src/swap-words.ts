import type { SwapWords } from '@vhdkit/vhd-format';

/**
 * Node's native in-place byte swap of 32-bit words, handed to vhd-format's reader for the table decode: a million
 * entries swapped once per process, before any JIT has warmed up, took its loop ~20 ms (SwapWords).
 */
export const swapWordsNatively: SwapWords = (words) => {
  Buffer.from(words.buffer, words.byteOffset, words.byteLength).swap32();
};

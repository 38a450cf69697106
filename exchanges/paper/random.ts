/**
 * Small deterministic pseudo-random helpers for the simulated price walk and
 * the sample candles: the same seed always gives the same sequence, on every
 * platform (32-bit integer arithmetic only).
 */

/** 32-bit FNV-1a hash of a string, used to derive a per-symbol seed. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a tiny, fast, seedable generator of floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box-Muller) from a uniform generator. */
export function gaussian(next: () => number): number {
  const u = 1 - next(); // (0, 1]
  const v = next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Generator for `seed` and `key` (a symbol): independent streams per key. */
export function seededStream(seed: number | string, key: string): () => number {
  return mulberry32(hashString(`${seed}:${key}`));
}

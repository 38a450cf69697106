/**
 * Decimal-safe rounding for prices and quantities. JS numbers are binary, so
 * rounding goes through the step's decimal count to avoid 0.30000000000000004.
 */
export function decimalsOf(step: number): number {
  if (!Number.isFinite(step) || step <= 0) return 0;
  const s = step.toString();
  if (s.includes('e-')) {
    const [mantissa, exp] = s.split('e-');
    const frac = (mantissa ?? '').split('.')[1]?.length ?? 0;
    return Number(exp) + frac;
  }
  const frac = s.split('.')[1];
  return frac ? frac.length : 0;
}

export type RoundMode = 'down' | 'up' | 'nearest';

/** Round `value` to a multiple of `step`. */
export function roundToStep(value: number, step: number, mode: RoundMode = 'nearest'): number {
  if (!(step > 0)) return value;
  const ratio = value / step;
  // Tolerate binary noise: 0.3/0.1 = 2.9999999999999996.
  const eps = 1e-9;
  let n: number;
  if (mode === 'down') n = Math.floor(ratio + eps);
  else if (mode === 'up') n = Math.ceil(ratio - eps);
  else n = Math.round(ratio);
  return Number((n * step).toFixed(decimalsOf(step)));
}

/** Strip binary noise: 0.1 + 0.2 -> 0.3. */
export function clean(value: number, decimals = 12): number {
  return Number(value.toFixed(decimals));
}

export function toDecimalString(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  // Avoid exponent notation for tiny prices such as 0.00001234.
  const s = String(value);
  if (!s.includes('e')) return s;
  return value.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

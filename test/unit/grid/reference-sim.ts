/**
 * A deliberately naive, independent implementation of the `grid:sim` rules
 * (no core, no order keys, no precision): plain variables, every resting
 * order re-examined at each step. Tests compare the real simulator with it.
 * Gap: a cycle active before a candle first walks previous close -> open.
 * Ties (same meeting point and price): stop-loss, take-profit, grid level.
 */
export interface RefParams {
  side: 'long' | 'short';
  deposit: number;
  leverage: number;
  levels: number;
  coverage: number;
  multiplier: number;
  tp: number;
  sl: number | null;
  pauseMs: number;
  feeMaker: number; // percent
  feeTaker: number; // percent
}

export interface RefCandle {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

export function referenceSim(candles: RefCandle[], P: RefParams) {
  const long = P.side === 'long';
  const fm = P.feeMaker / 100;
  const ft = P.feeTaker / 100;
  let inCycle = false;
  let endIdx = -1;
  let nextStart = -Infinity;
  let pending: { price: number; qty: number }[] = [];
  let qty = 0;
  let cost = 0;
  let cycleFees = 0;
  let tp = 0;
  let sl: number | null = null;
  let tpCycles = 0;
  let slCycles = 0;
  let pnl = 0;
  let feesDone = 0;
  let maxCapital = 0;
  let peak = P.deposit;
  let maxDD = 0;

  const reprice = () => {
    const avg = cost / qty;
    tp = long ? avg * (1 + P.tp / 100) : avg * (1 - P.tp / 100);
    sl = P.sl === null ? null : long ? avg * (1 - P.sl / 100) : avg * (1 + P.sl / 100);
    maxCapital = Math.max(maxCapital, cost / P.leverage);
  };
  const end = (exitPrice: number, fee: number, k: number, time: number, isTp: boolean) => {
    cycleFees += fee;
    const gross = long ? exitPrice * qty - cost : cost - exitPrice * qty;
    pnl += gross - cycleFees;
    feesDone += cycleFees;
    if (isTp) tpCycles++;
    else slCycles++;
    inCycle = false;
    pending = [];
    qty = 0;
    cost = 0;
    cycleFees = 0;
    endIdx = k;
    nextStart = time + P.pauseMs;
  };

  for (let k = 0; k < candles.length; k++) {
    const c = candles[k] as RefCandle;
    // A cycle resting from before this candle first sees the gap previous close -> open.
    const gap = inCycle && k > 0 && (candles[k - 1] as RefCandle).close !== c.open;
    if (!inCycle && k > endIdx && c.time >= nextStart) {
      let w = 0;
      for (let i = 0; i < P.levels; i++) w += P.multiplier ** i;
      const q = (P.deposit * P.leverage) / (w * c.open);
      pending = [];
      for (let i = 1; i < P.levels; i++) {
        const f = ((P.coverage / 100) * i) / (P.levels - 1);
        pending.push({ price: long ? c.open * (1 - f) : c.open * (1 + f), qty: q * P.multiplier ** i });
      }
      qty = q;
      cost = q * c.open;
      cycleFees = q * c.open * ft;
      inCycle = true;
      reprice();
    }
    if (inCycle) {
      const path = c.close >= c.open ? [c.open, c.low, c.high, c.close] : [c.open, c.high, c.low, c.close];
      const pts = gap ? [(candles[k - 1] as RefCandle).close, ...path] : path;
      for (let s = 0; s < pts.length - 1 && inCycle; s++) {
        const from = pts[s] as number;
        const to = pts[s + 1] as number;
        const down = to < from;
        let cur = from;
        for (;;) {
          // every candidate: [meeting point, price, rank, action]
          const cands: [number, number, number, () => void][] = [];
          const lo = Math.min(cur, to);
          const hi = Math.max(cur, to);
          for (const lv of pending) {
            const touched = long ? lo <= lv.price : hi >= lv.price;
            if (!touched) continue;
            const beyond = long ? cur <= lv.price : cur >= lv.price;
            cands.push([beyond ? cur : lv.price, lv.price, 2, () => {
              pending = pending.filter((x) => x !== lv);
              qty += lv.qty;
              cost += lv.qty * lv.price;
              cycleFees += lv.qty * lv.price * fm;
              reprice();
            }]);
          }
          const tpTouched = long ? hi >= tp : lo <= tp;
          if (tpTouched) {
            const beyond = long ? cur >= tp : cur <= tp;
            const price = tp;
            cands.push([beyond ? cur : tp, tp, 1, () => end(price, qty * price * fm, k, c.time, true)]);
          }
          if (sl !== null) {
            const slv = sl;
            const crossed = long ? lo <= slv : hi >= slv;
            if (crossed) {
              const beyond = long ? cur <= slv : cur >= slv;
              cands.push([beyond ? cur : slv, slv, 0, () => end(slv, qty * slv * ft, k, c.time, false)]);
            }
          }
          if (cands.length === 0) break;
          cands.sort((a, b) => (down ? b[0] - a[0] : a[0] - b[0]) || (down ? b[1] - a[1] : a[1] - b[1]) || a[2] - b[2]);
          const first = cands[0] as [number, number, number, () => void];
          cur = first[0];
          first[3]();
          if (!inCycle) break;
        }
      }
    }
    const avg = qty > 0 ? cost / qty : 0;
    const upnl = qty > 0 ? (long ? (c.close - avg) * qty : (avg - c.close) * qty) : 0;
    const eq = P.deposit + pnl + upnl;
    peak = Math.max(peak, eq);
    maxDD = Math.max(maxDD, peak - eq);
  }
  return { cycles: tpCycles + slCycles, tpCycles, slCycles, pnl, fees: feesDone + cycleFees, maxDrawdown: maxDD, maxCapital };
}

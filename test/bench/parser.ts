// npm run bench:parser — parses the hand-labelled corpus repeatedly on one core
// (this process, one thread) for a couple of seconds and prints messages per second,
// measured in CPU time (the machine may be shared). Target: at least 20,000 messages/s.
// Then the same over all three corpora, and the worst time for pathological inputs
// (100 KB texts, and texts just under the parser's length limit).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MAX_MESSAGE_LENGTH, parseSignal } from '../../services/signals/parser.js';

const TARGET = 20_000;
const PATHOLOGICAL_LIMIT_MS = 100;
const load = (name: string): string[] =>
  readFileSync(fileURLToPath(new URL(`../fixtures/signals/${name}`, import.meta.url)), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { text: string }).text);
const corpus = load('corpus.jsonl');
const both = [...corpus, ...load('corpus-2.jsonl'), ...load('corpus-3.jsonl')];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;

function rate(texts: string[], seconds: number): { count: number; wall: number; cpu: number } {
  // warm-up so the JIT has compiled the hot paths
  for (let i = 0; i < 5; i++) for (const t of texts) parseSignal(t);
  let count = 0;
  let sink = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < deadline) {
    for (const t of texts) sink += parseSignal(t).kind.length;
    count += texts.length;
  }
  if (sink === 0) console.log('');
  return { count, wall: Number(process.hrtime.bigint() - start) / 1e9, cpu: cpuMs(process.cpuUsage(cpuStart)) / 1000 };
}

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const main = rate(corpus, seconds);
// CPU time of this single-threaded process = time on one core; it stays meaningful
// when other processes compete for the machine (the wall-clock figure does not).
const perCpu = main.count / main.cpu;
console.log(`parser: ${main.count} messages (${corpus.length}-message corpus) in ${main.wall.toFixed(2)} s wall, ${main.cpu.toFixed(2)} s CPU`);
console.log(`parser: ${fmt(main.count / main.wall)} messages/s wall-clock`);
console.log(`parser: ${fmt(perCpu)} messages/s per CPU-second on one core (target ≥ ${fmt(TARGET)}/s) ${perCpu >= TARGET ? 'OK' : 'BELOW TARGET'}`);
const all = rate(both, seconds / 2);
console.log(`parser: ${fmt(all.count / all.cpu)} messages/s per CPU-second over all three corpora (${both.length} messages)`);

// pathological inputs: best of 3 runs each (CPU ms), reported worst over the shapes
const fill = (unit: string, n: number) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
const shapes = ['🚀', '🎯🔥✅', 'Target🎯x💰', '1.1 ', '1,', '1️⃣', '①', '➡️', 'TP1 hit ', 'close ', 'Entry: 1 TP 2 SL 3 ', '#ABC/USDT ', '66 000 ', 'стоп ', '5-10% ', 'не закрываем ', '(2 orders) ', '$65K ', '1 250,5 ', 'cancel if ', '\u200b'];
let worst = { ms: 0, what: '' };
for (const size of [100_000, MAX_MESSAGE_LENGTH]) {
  for (const unit of shapes) {
    const text = fill(unit, size);
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const c0 = process.cpuUsage();
      parseSignal(text);
      best = Math.min(best, cpuMs(process.cpuUsage(c0)));
    }
    if (best > worst.ms) worst = { ms: best, what: `${JSON.stringify(unit)} × ${size} chars` };
  }
}
const okPath = worst.ms < PATHOLOGICAL_LIMIT_MS;
console.log(`parser: pathological inputs, worst ${worst.ms.toFixed(1)} ms CPU (${worst.what}; limit ${PATHOLOGICAL_LIMIT_MS} ms) ${okPath ? 'OK' : 'TOO SLOW'}`);
if (perCpu < TARGET || !okPath) process.exitCode = 1;

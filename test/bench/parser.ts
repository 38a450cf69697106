// npm run bench:parser — parses the hand-labelled corpus repeatedly on one core
// (this process, one thread) for a couple of seconds and prints messages per second.
// Target: at least 20,000 messages/s.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseSignal } from '../../services/signals/parser.js';

const TARGET = 20_000;
const file = fileURLToPath(new URL('../fixtures/signals/corpus.jsonl', import.meta.url));
const texts = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => (JSON.parse(l) as { text: string }).text);

// warm-up so the JIT has compiled the hot paths
for (let i = 0; i < 5; i++) for (const t of texts) parseSignal(t);

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
let count = 0;
let sink = 0;
const cpuStart = process.cpuUsage();
const start = process.hrtime.bigint();
const deadline = start + BigInt(Math.round(seconds * 1e9));
while (process.hrtime.bigint() < deadline) {
  for (const t of texts) sink += parseSignal(t).kind.length;
  count += texts.length;
}
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const wallRate = count / elapsed;
// CPU time of this single-threaded process = time on one core; it stays meaningful
// when other processes compete for the machine (the wall-clock figure does not).
const rate = count / cpuSeconds;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`parser: ${count} messages (${texts.length}-message corpus) in ${elapsed.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU`);
console.log(`parser: ${fmt(wallRate)} messages/s wall-clock`);
console.log(`parser: ${fmt(rate)} messages/s per CPU-second on one core (target ≥ ${fmt(TARGET)}/s) ${rate >= TARGET ? 'OK' : 'BELOW TARGET'}`);
if (sink === 0) console.log('');
if (rate < TARGET) process.exitCode = 1;

// npm run -s signal:parse — parses one channel message read from stdin and prints
// one JSON ParseResult. With --batch, stdin is a JSON array of message texts and
// the output is a JSON array of results, in the same order.
// Exit codes: 0 parsed (whatever the kind), 2 bad input or usage.
import { parseSignal } from '../signals/parser.js';

const USAGE = 'usage: npm run -s signal:parse [-- --batch] < message.txt';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function fail(message: string): never {
  console.error(`signal:parse: ${message}`);
  process.exit(2);
}

const args = process.argv.slice(2);
const batch = args.includes('--batch');
const unknown = args.filter((a) => a !== '--batch');
if (unknown.length > 0) fail(`unknown argument ${unknown.join(' ')}\n${USAGE}`);

const input = await readStdin();
if (!batch) {
  process.stdout.write(`${JSON.stringify(parseSignal(input))}\n`);
} else {
  let texts: unknown;
  try {
    texts = JSON.parse(input);
  } catch (e) {
    fail(`--batch expects a JSON array of strings on stdin: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!Array.isArray(texts)) fail('--batch expects a JSON array of strings on stdin, got ' + (texts === null ? 'null' : typeof texts));
  const bad = texts.findIndex((t) => typeof t !== 'string');
  if (bad >= 0) fail(`--batch expects a JSON array of strings: element ${bad} is ${texts[bad] === null ? 'null' : typeof texts[bad]}`);
  process.stdout.write(`${JSON.stringify((texts as string[]).map((t) => parseSignal(t)))}\n`);
}

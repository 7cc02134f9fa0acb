/**
 * Where the server's time went, from the CPU profiles `npm run bench -- --profile DIR` makes (V8's sampling
 * profiler, `node --cpu-prof`): usage `node bin/run-ts.mjs bench/profile.ts DIR [--top N] [--group]`.
 *
 * For each .cpuprofile in DIR (one per server process): the functions with the most self time (their own
 * code, or the native code they called: a SQLite statement is its caller's self time) and the most inclusive
 * time (self plus everything called beneath), as a share of the sampled time that was not idle. Samples are
 * wall-clock time on the main thread, so a blocking system call counts as time; libuv's threadpool and V8's
 * helper threads are not in a profile (bench's cpu µs/req counts them). With --group, self time is summed
 * by category (SQLite, HTTP, crypto, ...), from the function's file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const label = (f: CallFrame) =>
  `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/node_modules\//, '').replace(/^.*\//, '')}:${f.lineNumber + 1}`;

/** Categories for --group, first match wins, by function name and file. */
const GROUPS: [string, RegExp][] = [
  ['idle', /^\(idle\)/],
  ['garbage collection', /^\(garbage collector\)/],
  ['SQLite statements (better-sqlite3)', /^(execute|#rows|#run|#flush) .*chunk-/],
  ['PostgreSQL client (pg)', /(pg|pg-protocol|pg-pool)\//],
  ['Kysely', /kysely\//],
  ['crypto', /^(\S+ )?(node:)?(crypto|hash|cipher|random|keys|pbkdf2|hkdf|sig|webcrypto)\b|jose\//],
  ['HTTP and sockets (node)', /_http_|stream_base|node:net|writev|writable|readable|http_parser|\(anonymous\) :0/],
  [
    'Fastify, routing, validation, serialization',
    /fastify|find-my-way|avvio|ajv|fast-json-stringify|light-my-request|serializer\.js|reply\.js|route\.js|hooks\.js|handle-request\.js|content-type-parser\.js/,
  ],
  ['async hooks (AsyncLocalStorage)', /async_hooks/],
  ['promises, microtasks, timers', /task_queues|timers|runMicrotasks|\(program\)/],
  ['module loading (start-up)', /loader|translators|module_job|compileSourceTextModule|wrapSafe|helpers:|internalModuleStat|readFileUtf8/],
];

function summarize(file: string, top: number, group: boolean): void {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfOf = new Map<number, number>();
  for (const [i, id] of p.samples.entries()) selfOf.set(id, (selfOf.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const n of p.nodes) {
    const t = selfOf.get(n.id) ?? 0;
    if (t === 0) continue;
    total += t;
    const k = label(n.callFrame);
    if (n.callFrame.functionName === '(idle)') idle += t;
    self.set(k, (self.get(k) ?? 0) + t);
    // Every distinct function on the stack gets the sample once (recursion counted once).
    const seen = new Set<string>();
    for (let cur: number | undefined = n.id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur);
      if (!node) break;
      const key = label(node.callFrame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + t);
    }
  }
  const busy = total - idle;
  const pct = (t: number) => `${((100 * t) / busy).toFixed(1).padStart(5)} %`;
  console.log(`\n${path.basename(file)}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s not idle`);
  const print = (title: string, m: Map<string, number>, skip: (k: string) => boolean) => {
    console.log(`  ${title}`);
    for (const [k, t] of [...m]
      .filter(([k]) => !skip(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top))
      console.log(`  ${pct(t)}  ${k}`);
  };
  if (group) {
    const groups = new Map<string, number>();
    for (const [k, t] of self) {
      const g = GROUPS.find(([, re]) => re.test(k))?.[0] ?? 'application and other JavaScript';
      groups.set(g, (groups.get(g) ?? 0) + t);
    }
    print('self time by category', groups, (k) => k === 'idle');
  }
  print('self time', self, (k) => k.startsWith('(idle)'));
  print('inclusive time', inclusive, (k) => k.startsWith('(root)') || k.startsWith('(idle)'));
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string' }, group: { type: 'boolean' } },
});
const dir = positionals[0];
if (!dir) {
  console.error('usage: node bin/run-ts.mjs bench/profile.ts DIR [--top N] [--group]');
  process.exit(2);
}
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .map((f) => path.join(dir, f));
if (files.length === 0) {
  console.error(`no .cpuprofile in ${dir}`);
  process.exit(1);
}
for (const f of files) summarize(f, Number(values.top ?? 30), values.group ?? false);

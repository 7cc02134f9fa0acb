/**
 * The shape of src/ (issue 18): no import cycles, no file over 400 lines, no function over 80 lines of its own.
 * Read with a real parser (@babel/parser, TypeScript syntax), not with line patterns.
 *
 * - Imports: static value imports between src/ files (`import type` and type-only specifiers carry nothing at
 *   run time; `import()` is lazy by design, e.g. a gateway's server).
 * - A function's own lines: its span minus the spans of the functions written inside it, so a factory that
 *   returns small methods is as long as its own code, while one long handler is not hidden by nesting.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from '@babel/parser';
import { describe, expect, it } from 'vitest';
import { GATEWAY_IDS } from '../src/api/gateways/index.ts';

const SRC = path.resolve(import.meta.dirname, '../src');
const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;

/** What may stay over a limit, and why (empty is the goal; each entry is a debt named in docs/architecture.md). */
const LONG_FILES: Record<string, string> = {};
/** Files outside src/api/gateways/ that still name a gateway (moving into the gateway folders, issue 18). */
const GATEWAY_NAMES_OUTSIDE: Record<string, string> = {};
const LONG_FUNCTIONS: Record<string, string> = {};

const files = (fs.readdirSync(SRC, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.split(path.sep).join('/'))
  .sort();

type Node = { type: string; start: number; end: number; loc: { start: { line: number }; end: { line: number } }; [k: string]: unknown };

const ast = new Map<string, Node>();
const astOf = (file: string): Node => {
  let a = ast.get(file);
  if (!a) {
    const text = fs.readFileSync(path.join(SRC, file), 'utf8');
    a = parse(text, { sourceType: 'module', plugins: ['typescript'] }).program as unknown as Node;
    ast.set(file, a);
  }
  return a;
};

const FUNCTION_TYPES = new Set([
  'FunctionDeclaration',
  'FunctionExpression',
  'ArrowFunctionExpression',
  'ObjectMethod',
  'ClassMethod',
  'ClassPrivateMethod',
]);

function children(node: Node): Node[] {
  const out: Node[] = [];
  for (const [k, v] of Object.entries(node)) {
    if (k === 'loc' || k === 'leadingComments' || k === 'trailingComments' || k === 'innerComments') continue;
    if (Array.isArray(v)) for (const c of v) if (c && typeof c === 'object' && typeof (c as Node).type === 'string') out.push(c as Node);
    if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as Node).type === 'string') out.push(v as Node);
  }
  return out;
}

/** Each function of a file: where it starts, a name to know it by, and its own lines. */
function functionsOf(file: string): { name: string; line: number; own: number }[] {
  const out: { name: string; line: number; own: number }[] = [];
  const lines = (n: Node) => n.loc.end.line - n.loc.start.line + 1;
  /** The lines of the functions directly inside `n` (not counting deeper ones twice). */
  const nested = (n: Node): number => children(n).reduce((sum, c) => sum + (FUNCTION_TYPES.has(c.type) ? lines(c) : nested(c)), 0);
  const visit = (n: Node, name: string): void => {
    if (FUNCTION_TYPES.has(n.type)) {
      out.push({ name, line: n.loc.start.line, own: lines(n) - nested(n) });
    }
    for (const c of children(n)) {
      const id = (c.id as { name?: string } | undefined)?.name ?? (c.key as { name?: string } | undefined)?.name;
      visit(c, id ?? name);
    }
  };
  visit(astOf(file), '(module)');
  return out;
}

/** The src/ files a file imports for values, resolved. */
function valueImports(file: string): string[] {
  const out: string[] = [];
  for (const n of astOf(file).body as Node[]) {
    if ((n.type !== 'ImportDeclaration' && n.type !== 'ExportNamedDeclaration' && n.type !== 'ExportAllDeclaration') || !n.source) continue;
    if (n.importKind === 'type' || n.exportKind === 'type') continue;
    const specifiers = (n.specifiers as { importKind?: string; exportKind?: string }[] | undefined) ?? [];
    if (specifiers.length > 0 && specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type')) continue;
    const from = (n.source as { value: string }).value;
    if (!from.startsWith('.')) continue;
    out.push(path.posix.normalize(path.posix.join(path.posix.dirname(file), from)));
  }
  return out;
}

describe('the shape of src/', () => {
  it('has no import cycles', () => {
    const graph = new Map(files.map((f) => [f, valueImports(f).filter((t) => files.includes(t))]));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const walk = (f: string): void => {
      state.set(f, 'open');
      stack.push(f);
      for (const t of graph.get(f) ?? []) {
        if (state.get(t) === 'open') cycles.push([...stack.slice(stack.indexOf(t)), t].join(' -> '));
        else if (!state.has(t)) walk(t);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) walk(f);
    expect(cycles).toEqual([]);
  });

  it(`has no file over ${MAX_FILE_LINES} lines`, () => {
    const long = files
      .map((f) => ({ f, n: fs.readFileSync(path.join(SRC, f), 'utf8').split('\n').length - 1 }))
      .filter(({ f, n }) => n > MAX_FILE_LINES && !(f in LONG_FILES))
      .map(({ f, n }) => `${f}: ${n}`);
    expect(long).toEqual([]);
    const stale = Object.keys(LONG_FILES).filter(
      (f) => !files.includes(f) || fs.readFileSync(path.join(SRC, f), 'utf8').split('\n').length - 1 <= MAX_FILE_LINES,
    );
    expect(stale, 'allowed long files that are no longer long: take them off the list').toEqual([]);
  });

  it(`has no function over ${MAX_FUNCTION_LINES} lines of its own`, () => {
    const long = files.flatMap((f) =>
      functionsOf(f)
        .filter((fn) => fn.own > MAX_FUNCTION_LINES && !(`${f}:${fn.name}` in LONG_FUNCTIONS))
        .map((fn) => `${f}:${fn.name} (line ${fn.line}): ${fn.own}`),
    );
    expect(long).toEqual([]);
    const measured = new Set(
      files.flatMap((f) =>
        functionsOf(f)
          .filter((fn) => fn.own > MAX_FUNCTION_LINES)
          .map((fn) => `${f}:${fn.name}`),
      ),
    );
    const stale = Object.keys(LONG_FUNCTIONS).filter((k) => !measured.has(k));
    expect(stale, 'allowed long functions that are no longer long: take them off the list').toEqual([]);
  });

  it('keeps gateway knowledge in the gateway folders: no file elsewhere names a gateway by its id', () => {
    const ids = new Set<string>(GATEWAY_IDS);
    const literals = (n: Node, out: Set<string>): Set<string> => {
      // A string ('opay') or a name (config.gateways.opay, { opay: … }) spelling a gateway's id.
      if (n.type === 'StringLiteral' && ids.has(n.value as string)) out.add(n.value as string);
      if (n.type === 'Identifier' && ids.has(n.name as string)) out.add(n.name as string);
      for (const c of children(n)) literals(c, out);
      return out;
    };
    const naming = files
      .filter((f) => !f.startsWith('api/gateways/'))
      .map((f) => ({ f, names: [...literals(astOf(f), new Set())] }))
      .filter(({ names }) => names.length > 0);
    expect(naming.filter(({ f }) => !(f in GATEWAY_NAMES_OUTSIDE)).map(({ f, names }) => `${f}: ${names.join(', ')}`)).toEqual([]);
    const stale = Object.keys(GATEWAY_NAMES_OUTSIDE).filter((f) => !naming.some((n) => n.f === f));
    expect(stale, 'allowed files that no longer name a gateway: take them off the list').toEqual([]);
  });

  it('can tell: the parser finds the functions and imports it measures', () => {
    expect(functionsOf('app.ts').some((fn) => fn.name === 'buildApp' && fn.own > 20)).toBe(true);
    expect(valueImports('app.ts')).toContain('api/guard.ts');
    expect(valueImports('app.ts')).not.toContain('log.ts'); // a type-only import
  });
});

/**
 * JSON nesting bound shared by every API. Deeply nested bodies (thousands of levels) are valid JSON, but
 * anything recursive over them (canonical JSON for a signature, JSON.stringify for a request hash or for
 * stored extras) would overflow the stack: they are refused as malformed before any of that runs.
 */
export const MAX_JSON_DEPTH = 64;

/** True when the JSON text nests arrays/objects deeper than `max` (strings are skipped; linear time). */
export function nestsTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}

/** JSON.parse that refuses (SyntaxError) what nests deeper than MAX_JSON_DEPTH. */
export function parseJsonBounded(text: string): unknown {
  if (nestsTooDeep(text)) throw new SyntaxError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  return JSON.parse(text);
}

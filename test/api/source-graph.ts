// A static reading of the TypeScript sources' relative imports, for the structure tests.
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** Every .ts file under `dir`, sorted (.d.ts excluded). */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== "node_modules") out.push(...sourceFiles(path));
    } else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

// `import … from "./x"`, `import "./x"`, `export … from "./x"`, type-only or not (a type circle is still a
// circle between two modules' ideas), over several lines. Dynamic import() is left out: it is how a module
// defers a dependency on purpose.
const STATIC_IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^;"']*?\s+from\s+)?["'](\.{1,2}\/[^"']+)["']/g;

/** The files `file` imports through relative specifiers, resolved as tsx resolves them (x.ts, x/index.ts). */
export function relativeImports(file: string, text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(STATIC_IMPORT)) {
    const target = resolve(dirname(file), m[1]!);
    const candidates = [target, `${target}.ts`, join(target, "index.ts"), target.replace(/\.js$/, ".ts")];
    const found = candidates.find((c) => c.endsWith(".ts") && existsSync(c) && statSync(c).isFile());
    if (found !== undefined) out.add(found);
  }
  return [...out];
}

/**
 * The elementary circles of a directed graph, each once, as a path from its smallest node back to it
 * (Tarjan's strongly connected components; each component with more than one node, or a self-import, is
 * reported by one circle through it, found by a depth-first search inside the component).
 */
export function importCycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      components.push(component);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  const cycles: string[][] = [];
  for (const component of components) {
    const members = new Set(component);
    const start = [...component].sort()[0]!;
    if (component.length === 1 && !(graph.get(start) ?? []).includes(start)) continue;
    cycles.push(circleThrough(start, members, graph));
  }
  return cycles.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** A shortest path start -> … -> start inside `members` (breadth first, so the report stays short). */
function circleThrough(start: string, members: Set<string>, graph: Map<string, string[]>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = previous.get(u)!) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

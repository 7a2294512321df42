#!/usr/bin/env node
// Prints the import graph between folders (`make imports`): one line per edge, "from -> to (n)",
// n the number of import statements. Folders are charts, src/<room>, loadtest; src/cli.ts is
// "cli", the composition layer. With --check, exits 1 on any import against the layer order
// (DESIGN.md, "Rooms"): cli over charts over src over loadtest, and bench, controller and local
// apart.
// Usage: node scripts/import-graph.mjs [--check] [root]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Layer of a folder node: a higher layer may import a lower one, never the other way. */
export function layerOf(node) {
  if (node === 'cli') return 3;
  if (node === 'charts') return 2;
  if (node === 'loadtest') return 0;
  return 1; // src/*
}

/** The folder node of a file path relative to the root, or undefined outside the layered tree. */
export function nodeOf(path) {
  const parts = path.split(sep).join('/').split('/');
  if (parts[0] === 'src') return parts.length === 2 ? (parts[1] === 'cli.ts' ? 'cli' : 'src') : `src/${parts[1]}`;
  if (parts[0] === 'charts' || parts[0] === 'loadtest') return parts[0];
  return undefined;
}

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Edges "from -> to" with their counts, for every relative import (static or dynamic) of the tree. */
export function importGraph(root) {
  const edges = new Map();
  for (const top of ['src', 'charts', 'loadtest']) {
    for (const file of sources(join(root, top))) {
      const from = nodeOf(relative(root, file));
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)) {
        const to = nodeOf(relative(root, resolve(dirname(file), m[1])));
        if (to === undefined || to === from) continue;
        const key = `${from} -> ${to}`;
        edges.set(key, (edges.get(key) ?? 0) + 1);
      }
    }
  }
  return new Map([...edges].sort(([a], [b]) => a.localeCompare(b)));
}

/** The three ways of running a benchmark share src/api, src/kube and src/util, never each other's code. */
const SEPARATE_ROOMS = ['src/bench', 'src/controller', 'src/local'];

/** The edges against the layers: upward, or between two of the separate rooms. */
export function upwardEdges(edges) {
  return [...edges.keys()].filter((edge) => {
    const [from, to] = edge.split(' -> ');
    return layerOf(to) > layerOf(from) || (SEPARATE_ROOMS.includes(from) && SEPARATE_ROOMS.includes(to));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const root = resolve(args.find((a) => a !== '--check') ?? '.');
  const edges = importGraph(root);
  process.stdout.write([...edges].map(([edge, n]) => `${edge} (${n})\n`).join(''));
  const upward = upwardEdges(edges);
  if (upward.length > 0) {
    process.stderr.write(`imports against the layers (cli > charts > src > loadtest): ${upward.join(', ')}\n`);
    if (check) process.exitCode = 1;
  }
}

// The layers of DESIGN.md ("Rooms") hold: nothing imports upward (scripts/import-graph.mjs, `make imports`).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain script without types
import { importGraph, upwardEdges } from '../../scripts/import-graph.mjs';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'import-graph-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  for (const top of ['src', 'charts', 'loadtest']) mkdirSync(join(root, top), { recursive: true });
  return root;
}

describe('the import graph between folders', () => {
  it('has no import against the layers in this repository', () => {
    const edges: Map<string, number> = importGraph(process.cwd());
    expect(edges.size).toBeGreaterThan(10);
    expect(upwardEdges(edges)).toEqual([]);
  });

  it('flags loadtest importing src, src importing charts, a room importing another, static or dynamic', () => {
    const root = tree({
      'loadtest/run.ts': "import { x } from '../src/util/x.js';\n",
      'src/config/synth.ts': "const { app } = await import('../../charts/app.js');\n",
      'src/bench/bench.ts': "import { kube } from '../controller/kube.js';\n",
      'src/controller/c.ts': "import { api } from '../api/objects.js';\n",
      'src/cli.ts': "import { synth } from '../charts/synth.js';\n",
    });
    try {
      const edges: Map<string, number> = importGraph(root);
      expect([...edges.keys()]).toEqual([
        'cli -> charts',
        'loadtest -> src/util',
        'src/bench -> src/controller',
        'src/config -> charts',
        'src/controller -> src/api',
      ]);
      expect(upwardEdges(edges)).toEqual(['loadtest -> src/util', 'src/bench -> src/controller', 'src/config -> charts']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

// `clusterbench load` starts in every runner pod: no command may pay for client-node or cdk8s
// unless its action uses them. A resolve hook in the child names every heavy module it loads.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const HOOK = `export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const heavy = /node_modules\\/(@kubernetes\\/client-node|cdk8s[^/]*)\\//.exec(resolved.url);
  if (heavy) process.stderr.write('heavy-import ' + heavy[1] + '\\n');
  return resolved;
}
`;

describe('clusterbench start-up (build/)', () => {
  const cli = join(process.cwd(), 'build/src/cli.js');
  let dir: string;
  let register: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-startup-'));
    const hook = join(dir, 'hook.mjs');
    writeFileSync(hook, HOOK);
    register = `data:text/javascript,import{register}from"node:module";register(${JSON.stringify(pathToFileURL(hook).href)})`;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The heavy packages the command imported, and its exit code. */
  function heavyImports(args: string[]): Promise<{ heavy: string[]; code: number }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', register, cli, ...args],
        { cwd: dir, env: { ...process.env, KUBECONFIG: join(dir, 'no-kubeconfig') } },
        (err, _stdout, stderr) => {
          const heavy = [
            ...new Set(
              stderr
                .split('\n')
                .filter((l) => l.startsWith('heavy-import '))
                .map((l) => l.slice('heavy-import '.length)),
            ),
          ].sort();
          resolve({ heavy, code: err ? Number(err.code) : 0 });
        },
      );
    });
  }

  it.each([
    { args: ['--help'], code: 0 },
    { args: ['load', '--help'], code: 0 },
    { args: ['load', '--duration', 'nope', 'http://127.0.0.1:1/'], code: 2 },
    { args: ['bench', '--scenario', 'nope'], code: 2 },
    { args: ['controller', '--help'], code: 0 },
    { args: ['synth', '--print-images'], code: 0 },
    { args: ['synth', '--print-namespace'], code: 0 },
  ])('$args exits $code and imports neither client-node nor cdk8s', async ({ args, code }) => {
    expect(await heavyImports(args)).toEqual({ heavy: [], code });
  });

  it('sees the heavy imports of the commands that need them (the hook works)', async () => {
    const synth = await heavyImports(['synth', '--out', join(dir, 'dist')]);
    expect(synth.code).toBe(0);
    expect(synth.heavy).toContain('cdk8s');
    expect(synth.heavy).not.toContain('@kubernetes/client-node');
    // KUBECONFIG names no file, so report fails at once, after loading client-node.
    const report = await heavyImports(['report', 'nope', '--namespace', 'clusterbench-startup-test']);
    expect(report.heavy).toContain('@kubernetes/client-node');
  });
});

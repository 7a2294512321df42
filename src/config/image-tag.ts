import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { packageRoot } from '../util/package-root.js';

/**
 * What the three images are built from (images/bench/Dockerfile copies the TypeScript side).
 * A change to any of these files gives every image a new tag.
 */
export const IMAGE_BUILD_INPUTS = ['images', 'src', 'loadtest', 'charts', 'package.json', 'package-lock.json', 'tsconfig.json'] as const;

function listFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => listFiles(join(path, name)));
}

/**
 * The default image tag: a content hash of the build inputs (paths and bytes, in sorted order),
 * so the same sources give the same tag on any clone and a changed source a new one; never
 * `latest`, which would make kubelet ignore the copy `kind load` put on the node.
 */
export function contentImageTag(root = packageRoot()): string {
  const hash = createHash('sha256');
  const files = IMAGE_BUILD_INPUTS.flatMap((input) => listFiles(join(root, input)))
    .map((file) => relative(root, file).split(sep).join('/'))
    .sort();
  for (const file of files) {
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(root, file)))
      .update('\0');
  }
  return `h${hash.digest('hex').slice(0, 16)}`;
}

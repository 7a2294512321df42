/**
 * Output paths checked before any work (DESIGN.md, "Commands"): a measurement that ran for minutes
 * must not fail at its end because its result cannot be written. Errors name the flag and the
 * path the user gave, never a temporary name of ours.
 */
import { accessSync, constants, mkdtempSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './usage-error.js';

function kindOf(path: string): 'missing' | 'folder' | 'other' {
  try {
    return statSync(path).isDirectory() ? 'folder' : 'other';
  } catch {
    return 'missing';
  }
}

/**
 * Proves `folder` takes new entries by creating and removing an empty folder in it: permission
 * bits alone say yes to root, and nothing but trying says no for /proc or a read-only mount.
 */
function assertWritableFolder(flag: string, given: string, folder: string): void {
  try {
    accessSync(folder, constants.W_OK | constants.X_OK);
    rmdirSync(mkdtempSync(join(folder, '.clusterbench-probe-')));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`${flag}: "${given}" cannot be written: its folder ${folder} does not take new files (${code})`);
  }
}

/** A file to be written (replaced if it exists): its folder exists and takes files; it is not a folder. */
export function checkOutputFile(flag: string, given: string): void {
  const path = resolve(given);
  if (kindOf(path) === 'folder')
    throw new UsageError(`${flag}: "${given}" is a folder; give a file name, e.g. ${join(given, 'result.json')}`);
  assertWritableParent(flag, given, path, 'written');
}

/** A folder to write into (created if missing, inside a folder that exists): not a file, and it takes files. */
export function checkOutputFolder(flag: string, given: string): void {
  const path = resolve(given);
  const kind = kindOf(path);
  if (kind === 'other') throw new UsageError(`${flag}: "${given}" is a file, not a folder`);
  if (kind === 'folder') {
    assertWritableFolder(flag, given, path);
    return;
  }
  assertWritableParent(flag, given, path, 'created');
}

/** `path` is to be written or created: the folder it goes into exists, is a folder, and takes new entries. */
function assertWritableParent(flag: string, given: string, path: string, verb: 'written' | 'created'): void {
  const parent = dirname(path);
  const parentKind = kindOf(parent);
  if (parentKind !== 'folder')
    throw new UsageError(
      `${flag}: "${given}" cannot be ${verb}: ${parent} ${parentKind === 'missing' ? 'does not exist' : 'is not a folder'}`,
    );
  assertWritableFolder(flag, given, parent);
}

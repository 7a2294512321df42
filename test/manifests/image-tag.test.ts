// src/config/image-tag.ts: the default image tag names the build's inputs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contentImageTag } from '../../src/config/image-tag.js';

const dir = mkdtempSync(join(tmpdir(), 'clusterbench-image-tag-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('contentImageTag', () => {
  it('the default image tag is a content hash of the build inputs: stable, and never latest', () => {
    const tag = contentImageTag();
    expect(tag).toMatch(/^h[0-9a-f]{16}$/);
    expect(contentImageTag()).toBe(tag);
  });

  it('the content hash changes with any build input', () => {
    const root = mkdtempSync(join(dir, 'root-'));
    writeFileSync(join(root, 'package.json'), '{}');
    const before = contentImageTag(root);
    writeFileSync(join(root, 'tsconfig.json'), '{}');
    expect(contentImageTag(root)).not.toBe(before);
  });
});

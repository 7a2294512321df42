import { describe, expect, it } from 'vitest';
import {
  parseAscendingIntegers,
  parseDurationMs,
  parseEnum,
  parseEnumList,
  parseInteger,
  parsePositiveNumber,
} from '../../loadtest/parse.js';
import { UsageError } from '../../loadtest/usage-error.js';

describe('parseDurationMs', () => {
  it.each([
    ['10s', 10_000],
    ['500ms', 500],
    ['200us', 0.2],
    ['1m30s', 90_000],
    ['2', 2_000],
    ['1.5s', 1_500],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDurationMs('--duration', text)).toBe(ms);
  });

  it.each(['', 'abc', '10x', '-1s', '10 s', 's10'])('rejects %j naming the field', (text) => {
    expect(() => parseDurationMs('--duration', text)).toThrow(UsageError);
    expect(() => parseDurationMs('--duration', text)).toThrow(/^--duration: /);
  });

  it('rejects zero unless allowed', () => {
    expect(() => parseDurationMs('--warmup', '0s')).toThrow(/greater than zero/);
    expect(parseDurationMs('--warmup', '0s', { allowZero: true })).toBe(0);
  });
});

describe('parseInteger', () => {
  it('accepts whole numbers in range', () => {
    expect(parseInteger('--connections', '64')).toBe(64);
    expect(parseInteger('--trials', 3, 1, 10)).toBe(3);
  });
  it.each(['0', '-3', '1.5', 'ten', ''])('rejects %j', (text) => {
    expect(() => parseInteger('--connections', text)).toThrow(/^--connections: .* must be a whole number, 1 or more$/);
  });
  it('names the range when bounded', () => {
    expect(() => parseInteger('--trials', '11', 1, 10)).toThrow(/1 to 10/);
  });
});

describe('parsePositiveNumber', () => {
  it('accepts fractions', () => expect(parsePositiveNumber('--cpus-per-server', '0.25')).toBe(0.25));
  it.each(['0', '-1', 'x', ''])('rejects %j', (text) => {
    expect(() => parsePositiveNumber('--cpus-per-server', text)).toThrow(/^--cpus-per-server: /);
  });
});

describe('parseEnum and parseEnumList', () => {
  const allowed = ['single', 'nginx', 'rpc-gateway'] as const;
  it('lists the allowed values in the error', () => {
    expect(() => parseEnum('--scenario', 'fast', ['quick', 'standard'])).toThrow(
      '--scenario: "fast" is not allowed (allowed: quick, standard)',
    );
  });
  it('parses a list and rejects unknown or repeated items', () => {
    expect(parseEnumList('--topologies', 'single, nginx', allowed)).toEqual(['single', 'nginx']);
    expect(() => parseEnumList('--topologies', 'single,haproxy', allowed)).toThrow(/allowed: single, nginx, rpc-gateway/);
    expect(() => parseEnumList('--topologies', 'nginx,nginx', allowed)).toThrow(/listed twice/);
    expect(() => parseEnumList('--topologies', ' , ', allowed)).toThrow(/empty list/);
  });
});

describe('parseAscendingIntegers', () => {
  it('parses an ascending list', () => {
    expect(parseAscendingIntegers('--replicas', '1, 2,3,4,6', 1, 16)).toEqual([1, 2, 3, 4, 6]);
    expect(parseAscendingIntegers('--replicas', '3', 1, 16)).toEqual([3]);
  });
  it.each(['', '1,,2', '0,1', '1,17', '2,1', '1,2,2', '1.5', '1,x', '-1', '1e1'])(
    'rejects %j with one line naming the field and the rule',
    (text) => {
      expect(() => parseAscendingIntegers('--replicas', text, 1, 16)).toThrow(UsageError);
      expect(() => parseAscendingIntegers('--replicas', text, 1, 16)).toThrow(
        `--replicas: "${text}" must be whole numbers 1 to 16, ascending, each once (e.g. 1,2,3,4)`,
      );
    },
  );
});

import { describe, expect, it } from 'vitest';
import { describeError } from '../../src/kube/kube.js';

describe('API errors', () => {
  it('describe API errors in one line', () => {
    expect(describeError({ code: 403, body: JSON.stringify({ message: 'jobs.batch is forbidden: User "x" cannot list' }) })).toBe(
      'HTTP 403: jobs.batch is forbidden: User "x" cannot list',
    );
    expect(describeError({ code: 404, body: '404 page not found\n' })).toBe('HTTP 404: 404 page not found');
    expect(describeError(new Error('connect ECONNREFUSED 10.0.0.1:443\n    at stack'))).toBe('connect ECONNREFUSED 10.0.0.1:443');
  });
});

/**
 * Who may speak for a run. Each Job attempt gets a fresh random token: the runners read it from a
 * Secret the controller creates (create only: the controller never reads a Secret), and the Job
 * carries the token's SHA-256, so a restarted controller can still check it. A runner is let in
 * only with its Job's token, from the address of that Job's pod with its index: a token alone
 * (leaked from a pod) does not let another pod in, an address alone does not either.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { V1Job, V1Pod, V1Secret } from '@kubernetes/client-node';
import { ANNOTATION_COMPLETION_INDEX, ANNOTATION_RUNNER_TOKEN_SHA256, LABEL_TOPOLOGY, LABEL_TRIAL } from '../api/objects.js';
import type { RunnerClaim, RunnerGrant } from './coordinator.js';
import { RUNNER_TOKEN_KEY } from './runner-job.js';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A new token (256 random bits) and its hash. */
export function newRunnerToken(): { token: string; sha256: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, sha256: sha256Hex(token) };
}

/** The Secret that gives a Job's runners their token; its name is made by the API server (no collision, no 409). */
export function runnerTokenSecret(props: {
  job: string;
  namespace: string;
  token: string;
  labels: Record<string, string>;
  owner: NonNullable<V1Secret['metadata']>['ownerReferences'];
}): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { generateName: `${props.job}-`, namespace: props.namespace, labels: props.labels, ownerReferences: props.owner },
    stringData: { [RUNNER_TOKEN_KEY]: props.token },
  };
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Whether `claim` comes from runner `claim.index` of `job`: the token's hash is the Job's, the
 * index is one of its completions, and the peer address is the pod IP of that index's pod.
 */
export function authorizeRunner(claim: RunnerClaim, job: V1Job | undefined, pods: readonly V1Pod[]): RunnerGrant | { refused: string } {
  if (!job) return { refused: 'no such Job' };
  const hash = job.metadata?.annotations?.[ANNOTATION_RUNNER_TOKEN_SHA256] ?? '';
  if (!claim.token) return { refused: 'no token' };
  if (!sameHash(sha256Hex(claim.token), hash)) return { refused: "not the Job's token" };
  const completions = job.spec?.completions ?? 0;
  if (!(claim.index >= 0 && claim.index < completions)) return { refused: `runner index out of 0..${completions - 1}` };
  const addresses = [
    ...new Set(
      pods
        .filter((p) => p.metadata?.annotations?.[ANNOTATION_COMPLETION_INDEX] === String(claim.index) && !p.metadata?.deletionTimestamp)
        .flatMap((p) => [p.status?.podIP, ...(p.status?.podIPs ?? []).map((ip) => ip.ip)])
        .filter((ip): ip is string => Boolean(ip)),
    ),
  ];
  if (!addresses.includes(claim.peer))
    return { refused: `address ${claim.peer} is not the pod of runner ${claim.index} (${addresses.join(', ') || 'no pod IP yet'})` };
  const labels = job.metadata?.labels ?? {};
  return { topology: labels[LABEL_TOPOLOGY] ?? '', trial: Number(labels[LABEL_TRIAL]) };
}

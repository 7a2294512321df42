/**
 * Where pods may run (issue 18): a node selector and tolerations, for the runner pods of a
 * Benchmark (`spec.placement.runners`) and a node selector for the servers of the manifests
 * (`servers.nodeSelector`). The syntax checks live here, once, so the Benchmark spec, `--set` and
 * the constructs reject the same labels with the same one-line message: a selector the API server
 * would refuse must fail before anything is created, not when the first Job is.
 */
import { UsageError } from '../../loadtest/usage-error.js';

/** Node labels a pod must match, as `spec.nodeSelector`. */
export type NodeSelector = Readonly<Record<string, string>>;

export const TOLERATION_OPERATORS = ['Exists', 'Equal'] as const;
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

/** A pod toleration, as `spec.tolerations[]` (the fields Kubernetes has). */
export interface Toleration {
  /** Taint key; empty with operator Exists tolerates every taint. */
  readonly key?: string;
  /** @default 'Equal' */
  readonly operator?: (typeof TOLERATION_OPERATORS)[number];
  /** With Equal only. */
  readonly value?: string;
  /** @default every effect */
  readonly effect?: (typeof TAINT_EFFECTS)[number];
  /** With effect NoExecute only: how long the pod stays once the taint appears. */
  readonly tolerationSeconds?: number;
}

/** Where the runner pods of a Benchmark may run. */
export interface RunnerPlacement {
  /** @default any node */
  readonly nodeSelector?: NodeSelector;
  /** @default none */
  readonly tolerations?: readonly Toleration[];
}

// Kubernetes' qualified name: an optional DNS-subdomain prefix and `/`, then at most 63 of
// alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric. A value is the same name part, or empty.
const NAME = '[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const PREFIX = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const LABEL_KEY_RE = new RegExp(`^(${PREFIX}/)?${NAME}$`);
const LABEL_VALUE_RE = new RegExp(`^(${NAME})?$`);

/** Why `key` is not a label key, or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const prefix = key.includes('/') ? key.slice(0, key.indexOf('/')) : '';
  if (!LABEL_KEY_RE.test(key) || prefix.length > 253) {
    return `"${key}" is not a label key (at most 63 letters, digits, - _ . starting and ending with a letter or digit, optionally after a DNS prefix and /)`;
  }
  return undefined;
}

/** Why `value` is not a label value, or undefined. */
export function labelValueProblem(value: string): string | undefined {
  return LABEL_VALUE_RE.test(value)
    ? undefined
    : `"${value}" is not a label value (at most 63 letters, digits, - _ . starting and ending with a letter or digit, or empty)`;
}

/** The first problem of a node selector, with the field it is in (`<field>.<key>`), or undefined. */
export function nodeSelectorProblem(selector: NodeSelector, field: string): { field: string; message: string } | undefined {
  for (const [key, value] of Object.entries(selector)) {
    const message = labelKeyProblem(key) ?? labelValueProblem(value);
    if (message) return { field: `${field}.${key}`, message };
  }
  return undefined;
}

/** The first problem of tolerations the API server would refuse, with its field (`<field>[i]`), or undefined. */
export function tolerationsProblem(tolerations: readonly Toleration[], field: string): { field: string; message: string } | undefined {
  for (const [i, t] of tolerations.entries()) {
    const at = `${field}[${i}]`;
    const keyProblem = t.key ? labelKeyProblem(t.key) : undefined;
    if (keyProblem) return { field: `${at}.key`, message: keyProblem };
    const operator = t.operator ?? 'Equal';
    if (!t.key && operator !== 'Exists') return { field: `${at}.operator`, message: 'must be Exists when key is empty (allowed: Exists)' };
    if (operator === 'Exists' && t.value) return { field: `${at}.value`, message: 'must be empty with operator Exists' };
    const valueProblem = t.value ? labelValueProblem(t.value) : undefined;
    if (valueProblem) return { field: `${at}.value`, message: valueProblem };
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      return {
        field: `${at}.tolerationSeconds`,
        message: 'applies only with effect NoExecute (allowed: effect NoExecute, or no tolerationSeconds)',
      };
    }
  }
  return undefined;
}

/**
 * Parses `key=value,key=value` (the text form `--set servers.nodeSelector=...` takes; empty: any
 * node). Throws a one-line UsageError naming `field` on anything else.
 */
export function parseNodeSelector(field: string, text: string): NodeSelector {
  const selector: Record<string, string> = {};
  for (const pair of text.split(',').filter((p) => p.trim() !== '')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`${field}: "${pair.trim()}" is not key=value (e.g. ${field}=node-role.example.com/servers=true)`);
    const key = pair.slice(0, eq).trim();
    if (key in selector) throw new UsageError(`${field}: "${key}" is listed twice`);
    selector[key] = pair.slice(eq + 1).trim();
  }
  const problem = nodeSelectorProblem(selector, field);
  if (problem) throw new UsageError(`${problem.field}: ${problem.message}`);
  return selector;
}

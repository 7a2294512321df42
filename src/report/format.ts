/** Number and text formatting shared by the Markdown and HTML renderings. */
import type { Report, TopologyReport } from './types.js';

/** Microseconds as milliseconds, with precision that suits the size. */
export function ms(us: number): string {
  const v = us / 1000;
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** Requests per second, rounded, with thousands separators. */
export function rps(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function count(value: number): string {
  return value.toLocaleString('en-US');
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

export function ratio(value: number | null): string {
  return value === null ? 'n/a' : `${value.toFixed(2)}x`;
}

export function interval(t: TopologyReport): string {
  const { ciLow, ciHigh } = t.throughputRps;
  return ciLow === null || ciHigh === null ? 'n/a (one trial)' : `${rps(ciLow)} to ${rps(ciHigh)}`;
}

export function seconds(msValue: number, digits = 1): string {
  return `${(msValue / 1000).toFixed(msValue % 1000 === 0 ? 0 : digits)} s`;
}

/** One line describing the load, e.g. `closed loop, 64 connections, 5 s (+1 s warmup), 1 trial`. */
export function describeScenario(report: Report): string {
  const s = report.scenario;
  const load =
    s.mode === 'open'
      ? `open loop at ${count(s.rate ?? 0)} req/s over ${s.connections} connections`
      : `closed loop, ${s.connections} connections`;
  const runners = (s.runners ?? 1) > 1 ? `, ${s.runners} runners` : '';
  const settings = Object.entries(s.serverSettings ?? {})
    .map(([k, v]) => `, ${k} ${v}`)
    .join('');
  return `${load}, ${seconds(s.durationMs)} (+${seconds(s.warmupMs)} warmup) per topology, ${s.trials} trial${s.trials === 1 ? '' : 's'}${s.order ? ` (${s.order})` : ''}${runners}${settings}`;
}

/** How the CPU limits were applied, in words. */
export function describeCpuLimits(report: Report): string {
  const l = report.environment.cpuLimits;
  const applied = l.perServer === null ? 'none' : `${l.perServer} CPU per hello server (${l.mechanism})`;
  return l.note ? `${applied}; ${l.note}` : applied;
}

/** The seed's own table (a blog post, 2023): the claim being checked. */
export const SEED_CLAIM = [
  { topology: 'single', label: 'basic Go web server', avgMs: 100, rps: 500 },
  { topology: 'nginx', label: 'Nginx load balancer', avgMs: 50, rps: 1000 },
  { topology: 'rpc-gateway', label: 'Go clustering (net/rpc)', avgMs: 25, rps: 2000 },
] as const;

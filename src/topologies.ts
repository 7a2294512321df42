/** Topology names, used everywhere: CLI, Benchmark resource, report (DESIGN.md, "Topologies"). */
export const TOPOLOGIES = ['single', 'nginx', 'ingress-nginx', 'rpc-gateway'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

/** The topologies that run on one machine without Kubernetes. */
export const LOCAL_TOPOLOGIES = ['single', 'nginx', 'rpc-gateway'] as const satisfies readonly Topology[];
export type LocalTopology = (typeof LOCAL_TOPOLOGIES)[number];

/** Topologies with three hello servers behind a balancer: the ones a failover run disturbs. */
export const BALANCED_TOPOLOGIES = ['nginx', 'ingress-nginx', 'rpc-gateway'] as const satisfies readonly Topology[];

/** The topology every ratio is taken against. */
export const BASELINE_TOPOLOGY: Topology = 'single';

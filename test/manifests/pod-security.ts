// The `restricted` Pod Security Standard (kubernetes.io/docs/concepts/security/pod-security-standards,
// levels baseline and restricted, version latest), as checks over a pod spec. Used by the policy suite.

const RESTRICTED_VOLUME_TYPES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
];
const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];

/** Reasons the `restricted` level would reject this pod spec; empty when it is admitted. */
export function restrictedViolations(spec: any): string[] {
  const problems: string[] = [];
  const podSc = spec.securityContext ?? {};
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) problems.push('host namespaces');
  for (const v of spec.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (!type || !RESTRICTED_VOLUME_TYPES.includes(type)) problems.push(`volume ${v.name} of type ${type}`);
  }
  for (const s of podSc.sysctls ?? []) if (!SAFE_SYSCTLS.includes(s.name)) problems.push(`sysctl ${s.name}`);
  if (podSc.runAsUser === 0) problems.push('pod runAsUser 0');
  if (podSc.seLinuxOptions?.user || podSc.seLinuxOptions?.role) problems.push('pod seLinuxOptions user/role');
  const podSeccomp = podSc.seccompProfile?.type;
  if (podSeccomp === 'Unconfined') problems.push('pod seccomp Unconfined');
  if (podSc.appArmorProfile && !['RuntimeDefault', 'Localhost'].includes(podSc.appArmorProfile.type)) problems.push('pod appArmor');

  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])];
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const where = `container ${c.name}`;
    if (sc.privileged) problems.push(`${where}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
    if (!(sc.runAsNonRoot ?? podSc.runAsNonRoot)) problems.push(`${where}: runAsNonRoot is not true`);
    if (sc.runAsUser === 0) problems.push(`${where}: runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? podSeccomp;
    if (!['RuntimeDefault', 'Localhost'].includes(seccomp)) problems.push(`${where}: seccompProfile is ${seccomp ?? 'unset'}`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${where}: capabilities do not drop ALL`);
    for (const cap of sc.capabilities?.add ?? []) if (cap !== 'NET_BIND_SERVICE') problems.push(`${where}: adds capability ${cap}`);
    for (const p of c.ports ?? []) if (p.hostPort) problems.push(`${where}: hostPort ${p.hostPort}`);
    if (sc.procMount && sc.procMount !== 'Default') problems.push(`${where}: procMount ${sc.procMount}`);
    if (sc.seLinuxOptions?.user || sc.seLinuxOptions?.role) problems.push(`${where}: seLinuxOptions user/role`);
    if (sc.appArmorProfile && !['RuntimeDefault', 'Localhost'].includes(sc.appArmorProfile.type)) problems.push(`${where}: appArmor`);
  }
  return problems;
}

export interface Rule {
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly verbs?: readonly string[];
  readonly resourceNames?: readonly string[];
}

/** What a least-privilege review rejects in a Role: wildcards anywhere, any access to secrets but create. */
export function roleViolations(rules: readonly Rule[]): string[] {
  const problems: string[] = [];
  for (const r of rules) {
    const all = [...(r.apiGroups ?? []), ...(r.resources ?? []), ...(r.verbs ?? [])];
    if (all.some((x) => x.includes('*'))) problems.push(`wildcard in ${JSON.stringify(r)}`);
    const secrets = (r.resources ?? []).some((x) => x === 'secrets' || x.startsWith('secrets/'));
    if (secrets && (r.verbs ?? []).some((v) => v !== 'create')) problems.push(`secrets read or changed in ${JSON.stringify(r)}`);
  }
  return problems;
}

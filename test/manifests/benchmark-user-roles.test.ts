// src/constructs/benchmark-user-roles.ts: the ClusterRoles Kubernetes' built-in edit and view aggregate.
import { describe, expect, it } from 'vitest';
import { find, synth } from './manifests.js';

describe('charts: the benchmark controller', () => {
  it('ClusterRoles the built-in edit and view aggregate: edit writes Benchmarks, view reads them', () => {
    const { objects } = synth();
    const editor = find(objects, 'ClusterRole', 'clusterbench-benchmark-editor');
    const viewer = find(objects, 'ClusterRole', 'clusterbench-benchmark-viewer');
    expect(editor.metadata.labels).toMatchObject({
      'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
      'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
    });
    expect(editor.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view']).toBeUndefined();
    expect(viewer.metadata.labels).toMatchObject({ 'rbac.authorization.k8s.io/aggregate-to-view': 'true' });
    expect(editor.rules).toEqual([
      {
        apiGroups: ['clusterbench.dev'],
        resources: ['benchmarks'],
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      },
    ]);
    expect(viewer.rules.flatMap((r: any) => r.resources)).toEqual(['benchmarks', 'benchmarks/status']);
    for (const rule of viewer.rules) expect(rule.verbs).toEqual(['get', 'list', 'watch']);
    // Nothing binds them: the cluster's own bindings of edit and view do.
    expect(objects.filter((o) => /Binding$/.test(o.kind) && o.roleRef?.name?.startsWith('clusterbench-benchmark'))).toEqual([]);
  });
});

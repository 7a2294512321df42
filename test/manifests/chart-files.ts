/**
 * The files `clusterbench synth` writes, one per chart, in apply order (charts/clusterbench-app.ts
 * numbers them): what the synth suite expects on disk and the deploy suite expects applied.
 * Spelled out here, not read from the charts, so that a change of order fails both.
 */
export const CHART_FILES = [
  '0000-namespace.k8s.yaml',
  '0001-crd.k8s.yaml',
  '0002-hello.k8s.yaml',
  '0003-nginx.k8s.yaml',
  '0004-rpc-gateway.k8s.yaml',
  '0005-controller.k8s.yaml',
  '0006-ingress-nginx.k8s.yaml',
  '0007-ingress.k8s.yaml',
] as const;

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The single-file install beside the per-chart files: `kubectl apply -f dist/install.yaml`. */
export const BUNDLE_FILE = 'install.yaml';

/**
 * Writes `dir/install.yaml`: every `*.k8s.yaml` of `dir` in file-name order (the apply order:
 * namespace and CRD first), as one multi-document YAML, as kubebuilder's `build-installer` and
 * ingress-nginx's `deploy.yaml` ship it.
 */
export function writeBundle(dir: string): void {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.k8s.yaml'))
    .sort();
  const documents = files.map((f) => `# ${f}\n${readFileSync(join(dir, f), 'utf8').replace(/\n*$/, '\n')}`);
  writeFileSync(join(dir, BUNDLE_FILE), documents.join('---\n'));
}

// The cdk8s app (cdk8s.yaml: `cdk8s synth` runs it): the default configuration into dist/, or into
// CDK8S_OUTDIR when the cdk8s CLI sets it. `make synth` runs `clusterbench synth` instead, which
// takes --config and --set and swaps dist/ in as a whole.
import { resolveConfig } from '../src/config/config.js';
import { writeBundle } from './bundle.js';
import { createApp } from './clusterbench-app.js';

const outdir = process.env.CDK8S_OUTDIR ?? 'dist';
createApp(resolveConfig(undefined, []), outdir).synth();
writeBundle(outdir);

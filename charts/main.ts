// The cdk8s app (cdk8s.yaml): `cdk8s synth` writes dist/ with the default configuration.
// `make synth` runs `clusterbench synth`, which takes --config and --set and swaps dist/ atomically.
import { resolveConfig } from '../src/config/config.js';
import { createApp } from './clusterbench-app.js';

createApp(resolveConfig(undefined, []), 'dist').synth();

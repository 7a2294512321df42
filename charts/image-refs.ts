// Apart from clusterbench-app.ts so `synth --print-images` answers without loading cdk8s.
import type { ClusterbenchConfig } from '../src/config/config.js';
import { contentImageTag } from '../src/config/image-tag.js';
import type { ImageRefs } from './clusterbench-chart.js';

/** The image references `make images` builds and the manifests use: one tag for all three. */
export function imageRefs(config: ClusterbenchConfig): ImageRefs {
  const tag = config.images.tag || contentImageTag();
  const ref = (name: string) => `${config.images.registry}/${name}:${tag}`;
  return { hello: ref('hello'), rpcGateway: ref('rpc-gateway'), bench: ref('bench'), tag };
}

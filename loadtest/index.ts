/** The load generator's public surface: run a load, merge results, read their histograms. */
export { decodeHistogram, encodeHistogram, summarizeHistogram } from './histogram.js';
export { mergeResults } from './merge.js';
export { DEFAULT_TIMEOUT_MS, runLoad, validateLoadOptions } from './run-load.js';
export * from './types.js';

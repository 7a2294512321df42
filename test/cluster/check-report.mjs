// Checks a clusterbench/report@1 from the cluster (make e2e): exactly the expected topologies,
// each with nonzero throughput and no errors. Prints one line per problem and exits 1 if any.
//
//   node check-report.mjs report.json single,nginx,rpc-gateway
import { readFileSync } from 'node:fs';

const [file, topologyList] = process.argv.slice(2);
if (!file || !topologyList) {
  console.error('usage: node check-report.mjs REPORT.json TOPOLOGY,...');
  process.exit(2);
}
const expected = topologyList.split(',');
const report = JSON.parse(readFileSync(file, 'utf8'));
const problems = [];
if (report.schema !== 'clusterbench/report@1') problems.push(`schema is ${JSON.stringify(report.schema)}, not "clusterbench/report@1"`);
const topologies = Array.isArray(report.topologies) ? report.topologies : [];
const names = topologies.map((t) => t.name);
if ([...names].sort().join(',') !== [...expected].sort().join(',')) {
  problems.push(`topologies are [${names.join(', ')}], expected [${expected.join(', ')}]`);
}
for (const t of topologies) {
  const rps = t.throughputRps?.median;
  if (!(typeof rps === 'number' && rps > 0)) problems.push(`${t.name}: throughput median is ${rps}, expected > 0`);
  const errors = t.errors?.total;
  if (errors !== 0) problems.push(`${t.name}: ${errors} errors (${JSON.stringify(t.errors)}), expected 0`);
}
if (problems.length > 0) {
  for (const p of problems) console.error(`report check: ${p}`);
  process.exit(1);
}
console.error(`report check: ${names.length} topologies, ${topologies.map((t) => `${t.name} ${Math.round(t.throughputRps.median)} req/s`).join(', ')}, no errors`);

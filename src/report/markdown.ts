import { describeCpuLimits, describeScenario } from './format.js';
import { scalingTables } from './scaling-tables.js';
import { answerSentence, detailTables, environmentItems, resultsTable, seedClaimTable, type ReportTable } from './tables.js';
import type { Report } from './types.js';

/** The report as Markdown: the results and the answer first, then the details, then the blog post's claim. */
export function renderMarkdown(report: Report): string {
  const env = report.environment;
  const results = resultsTable(report);
  const lines = [
    `# clusterbench report: ${report.scenario.name} scenario, ${report.createdAt.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `${describeScenario(report)}. ${env.where}; ${env.cpus.count} × ${env.cpus.model}; CPU limits: ${describeCpuLimits(report)}.`,
    '',
    ...markdownTable(results, false),
    `**${answerSentence(report)}**`,
    '',
    ...(results.note ? [results.note, ''] : []),
    ...detailTables(report).flatMap((t) => markdownTable(t, true)),
    ...(report.scaling ? scalingTables(report.scaling) : []).flatMap((t) => markdownTable(t, true)),
    ...markdownTable(seedClaimTable(), true),
    '## Environment',
    '',
    ...environmentItems(report).map(([label, value]) => `- ${label}: ${value}`),
    '',
  ];
  return lines.join('\n');
}

function markdownTable(table: ReportTable, withTitle: boolean): string[] {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return [
    ...(withTitle ? [`## ${table.title}`, ''] : []),
    ...(withTitle && table.note ? [table.note, ''] : []),
    `| ${table.headers.map(cell).join(' | ')} |`,
    `| ${table.headers.map((_, i) => (table.numeric[i] ? '---:' : '---')).join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
    '',
  ];
}

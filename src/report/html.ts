import { describeCpuLimits, describeScenario } from './format.js';
import { CHART_MAX_PX, escapeXml, latencySpectrumChart, throughputChart, timelineChart } from './svg-charts.js';
import { SCALING_CAPTION, scalingChart } from './scaling-chart.js';
import { scalingTables } from './scaling-tables.js';
import { answerSentence, detailTables, environmentItems, resultsTable, seedClaimTable, type ReportTable } from './tables.js';
import type { Report } from './types.js';

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; color: #222; max-width: 820px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0; } th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
p.note, figcaption { color: #555; font-size: 13px; } p.answer { font-size: 15px; }
/* On a phone, wide tables scroll sideways in their box instead of shrinking their text away. */
div.scroll { overflow-x: auto; } figure { margin: 12px 0; } figcaption { margin-top: 6px; }
/* The scaling tables' cells are a number or two (scaling-tables.ts): one line each, the table scrolling in its box. */
table[data-table^="scaling-"] td { white-space: nowrap; }
/* Charts take the page's width, up to a laptop's reading size; their layout keeps text legible at 390 px (svg-charts.ts).
   Drawn larger on a wide screen, their text shrinks back to the page's size: the layout has room for it. */
figure svg { display: block; width: 100%; max-width: ${CHART_MAX_PX}px; height: auto; }
@media (min-width: ${CHART_MAX_PX + 40}px) { figure svg { font-size: 11px; } figure svg text.chart-title { font-size: 13px; } }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; } dt { color: #555; } dd { margin: 0; }
`;

/**
 * The report as one self-contained HTML page, no script, no external file: the results and the
 * answer first, then the charts and the details, the blog post's claim last but the environment.
 */
export function renderHtml(report: Report): string {
  const env = report.environment;
  const results = resultsTable(report);
  const title = `clusterbench report: ${report.scenario.name} scenario, ${report.createdAt.slice(0, 16).replace('T', ' ')} UTC`;
  const body = [
    `<h1>${escapeXml(title)}</h1>`,
    `<p>${escapeXml(`${describeScenario(report)}. ${env.where}; ${env.cpus.count} × ${env.cpus.model}; CPU limits: ${describeCpuLimits(report)}.`)}</p>`,
    htmlTable({ ...results, note: undefined }, 'h2'),
    `<p class="answer"><strong>${escapeXml(answerSentence(report))}</strong></p>`,
    results.note ? `<p class="note">${escapeXml(results.note)}</p>` : '',
    '<h2>Charts</h2>',
    figure(throughputChart(report.topologies), 'Bar at the median over trials, whisker the 95% interval, dots each trial.'),
    figure(
      latencySpectrumChart(report.topologies),
      'From the merged histograms; both axes logarithmic, from the fastest response (min) to the slowest percentiles.',
    ),
    figure(
      timelineChart(report.topologies),
      'Second by second, every trial; colour and marker tell the topology, the line style the trial.',
    ),
    ...detailTables(report).map((t) => htmlTable(t, 'h2')),
    ...(report.scaling
      ? [
          '<h2 id="scaling">Scaling</h2>',
          figure(scalingChart(report.scaling), SCALING_CAPTION),
          ...scalingTables(report.scaling).map((t) => htmlTable(t, 'h2')),
        ]
      : []),
    htmlTable(seedClaimTable(), 'h2'),
    '<h2>Environment</h2>',
    `<dl>${environmentItems(report)
      .map(([k, v]) => `<dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd>`)
      .join('')}</dl>`,
  ];
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(title)}</title><style>${STYLE}</style></head>`,
    `<body>${body.join('\n')}</body></html>`,
    '',
  ].join('\n');
}

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${escapeXml(caption)}</figcaption></figure>`;
}

function htmlTable(table: ReportTable, heading: 'h2'): string {
  const cls = (i: number) => (table.numeric[i] ? ' class="n"' : '');
  return [
    `<${heading} id="${table.id}">${escapeXml(table.title)}</${heading}>`,
    table.note ? `<p class="note">${escapeXml(table.note)}</p>` : '',
    `<div class="scroll"><table data-table="${table.id}"><thead><tr>${table.headers.map((h, i) => `<th${cls(i)}>${escapeXml(h)}</th>`).join('')}</tr></thead>`,
    `<tbody>${table.rows.map((row) => `<tr>${row.map((c, i) => `<td${cls(i)}>${escapeXml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table></div>`,
  ].join('\n');
}

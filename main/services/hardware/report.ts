import type { Check, HardwareReport } from '../../../contract/domains/hardware';
import { formatBytes } from './values';

/** The human table `tandem doctor` prints. */
export function renderTable(report: HardwareReport): string {
  const mark: Record<Check['status'], string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'skip' };
  const rows = report.checks.map((c) => [mark[c.status], c.id, c.measured, c.required]);
  const widths = [4, Math.max(...rows.map((r) => r[1]!.length), 5), Math.min(48, Math.max(...rows.map((r) => r[2]!.length), 8))];
  const cut = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));
  const lines = [
    `Tandem hardware readiness — ${report.machine.hostname} (${report.machine.os}), ${report.generatedAt}`,
    `Requirements: ${report.requirementsSource}`,
    '',
    `${'STAT'.padEnd(widths[0]!)}  ${'CHECK'.padEnd(widths[1]!)}  ${'MEASURED'.padEnd(widths[2]!)}  REQUIRED`,
    ...rows.map((r) => `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${cut(r[2]!, widths[2]!)}  ${r[3]}`),
  ];
  const todo = report.checks.filter((c) => c.status === 'fail' || c.status === 'warn');
  if (todo.length > 0) {
    lines.push('', 'What to do:');
    for (const c of todo) lines.push(`  ${c.status === 'fail' ? '✗' : '!'} ${c.id}: ${c.remediation}`);
  }
  const s = report.summary;
  lines.push('', `Result: ${s.overall.toUpperCase()} — ${s.pass} passed, ${s.warn} warnings, ${s.fail} failed, ${s.skip} skipped.`);
  return `${lines.join('\n')}\n`;
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A self-contained, printable HTML page: machine identity, timestamp, every check, GPU details. No scripts, no external resources. */
export function renderHtml(report: HardwareReport): string {
  const s = report.summary;
  const gpuRows = report.gpu.gpus
    .map(
      (g) =>
        `<tr><td>${g.index}</td><td>${escape(g.name)}</td><td>${g.vramTotalMiB !== null ? `${(g.vramTotalMiB / 1024).toFixed(1)} GiB` : '—'}</td><td>${escape(g.computeCapability ?? '—')}</td><td>${escape(g.driverVersion ?? '—')}</td><td>${g.pcieWidth !== null ? `x${g.pcieWidth}` : '—'}</td><td>${g.temperatureC ?? '—'} °C</td><td>${g.powerLimitW ?? '—'} W</td><td>${escape(g.uuid ?? '—')}</td></tr>`,
    )
    .join('\n');
  const checkRows = report.checks
    .map(
      (c) =>
        `<tr class="${c.status}"><td class="status">${c.status.toUpperCase()}</td><td><strong>${escape(c.title)}</strong><br><code>${escape(c.id)}</code></td><td>${escape(c.measured)}</td><td>${escape(c.required)}</td><td>${escape(c.remediation)}${c.detail ? `<div class="detail">${escape(c.detail)}</div>` : ''}</td></tr>`,
    )
    .join('\n');
  const sys = report.system;
  const facts: Array<[string, string]> = [
    ['Host', report.machine.hostname],
    ['Operating system', report.machine.os],
    ['CPU', report.machine.cpu],
    ['Memory', sys ? formatBytes(sys.memory.totalBytes) : '—'],
    ['Data folder', sys ? `${sys.disk.path} (${sys.disk.freeBytes !== null ? `${formatBytes(sys.disk.freeBytes)} free` : 'free space unknown'})` : '—'],
    ['Container / VM', sys ? [sys.virtualization.container, sys.virtualization.vm].filter(Boolean).join(', ') || 'none' : '—'],
    ['Generated', report.generatedAt],
    ['Requirements', report.requirementsSource],
    ['App', `${report.app.name} ${report.app.version}`],
    ['Report', `${report.schema}, checks v${report.checksVersion}, run ${report.runId}`],
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tandem hardware readiness — ${escape(report.machine.hostname)} — ${escape(report.generatedAt)}</title>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 24px; color: #1b1f24; }
  h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
  .overall { display: inline-block; padding: 2px 12px; border-radius: 999px; font-weight: 700; border: 2px solid currentColor; }
  .overall.pass, tr.pass .status { color: #1a7f37; } .overall.warn, tr.warn .status { color: #9a6700; } .overall.fail, tr.fail .status { color: #cf222e; } tr.skip .status { color: #6e7781; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid #d0d7de; }
  th { background: #f6f8fa; } .status { font-weight: 700; white-space: nowrap; } code { font-size: 12px; color: #57606a; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; } dt { color: #57606a; } dd { margin: 0; }
  .detail { color: #57606a; font-size: 12px; margin-top: 4px; }
  @media print { body { margin: 0; } tr { break-inside: avoid; } }
</style>
</head>
<body>
<h1>Tandem hardware readiness</h1>
<p><span class="overall ${s.overall}">${s.overall.toUpperCase()}</span> ${s.pass} passed, ${s.warn} warnings, ${s.fail} failed, ${s.skip} skipped</p>
<h2>Machine</h2>
<dl>${facts.map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(v)}</dd>`).join('')}</dl>
<h2>Checks</h2>
<table>
<thead><tr><th>Status</th><th>Check</th><th>Measured</th><th>Required</th><th>What to do</th></tr></thead>
<tbody>
${checkRows}
</tbody>
</table>
<h2>GPUs</h2>
${
  report.gpu.gpus.length > 0
    ? `<table><thead><tr><th>#</th><th>Name</th><th>Memory</th><th>Compute</th><th>Driver</th><th>PCIe</th><th>Temp</th><th>Power limit</th><th>UUID</th></tr></thead><tbody>
${gpuRows}
</tbody></table>`
    : `<p>No NVIDIA GPU detected.${report.gpu.diagnoses.map((d) => ` ${escape(d.title)}.`).join('')}</p>`
}
</body>
</html>
`;
}

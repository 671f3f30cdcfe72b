/**
 * CSV for the records file. Cells are quoted, and a cell that a spreadsheet would read as a
 * formula (=, +, -, @, tab, CR) is prefixed with an apostrophe: log-derived text is attacker-controlled.
 */
export function csvCell(value: unknown): string {
  let text = value === undefined || value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

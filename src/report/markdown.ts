// Markdown pieces every rendering shares: tables, inline code.

export type Align = 'left' | 'right'

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>')
}

export function markdownTable(headers: string[], align: Align[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |`
  const rule = `|${align.map((a) => (a === 'right' ? '--:' : ':--')).join('|')}|`
  return [line(headers), rule, ...rows.map(line)].join('\n')
}

export function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``
}

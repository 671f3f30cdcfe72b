/** One thing wrong with the configuration, located as precisely as we can. */
export interface Problem {
  file: string;
  line?: number;
  /** The field path, e.g. `datasets[1].classification` or `row 4 citizenships`. */
  path: string;
  message: string;
  /** How to fix it. */
  hint?: string;
  /** An identifier two people share: `check` rejects it, a scan flags its events AMBIGUOUS_IDENTITY. */
  identity?: boolean;
}

export const formatProblem = (p: Problem): string =>
  `${p.file}${p.line ? `:${p.line}` : ''} ${p.path}: ${p.message}${p.hint ? ` — ${p.hint}` : ''}`;

/** Every problem found, not just the first: users fix them in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

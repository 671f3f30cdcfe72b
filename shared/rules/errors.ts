/** A question the rules cannot answer from their data. The CLI and config loader turn it into a message. */
export class RulesError extends Error {
  constructor(
    readonly code: 'UNKNOWN_CLASSIFICATION' | 'UNKNOWN_ECCN' | 'UNKNOWN_USML_CATEGORY' | 'UNKNOWN_COUNTRY' | 'UNKNOWN_REASON',
    message: string,
    /** What the user can do about it. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'RulesError';
  }
}

export { globProblem, loadPolicy, type LoadOptions, type ReadText } from './load.ts';
export { ConfigError, formatProblem, type Problem } from './errors.ts';
export type { Policy, DatasetRule, LicenseRule, AllowRule, NetworkRule, Person, CatalogEntry } from './types.ts';

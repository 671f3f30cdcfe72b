/** Export-control knowledge: pure functions over the data files in ./data (no I/O). */
export { RulesError } from './errors.ts';
export { parseClassification, eccnEntry, eccnTable, usmlCategories, type Classification, type EccnEntry } from './classification.ts';
export { resolveCountry, countryName, isCountryCode, countryGroups, inCountryGroup } from './countries.ts';
export { licenseRequired, isCountryOfConcern, normaliseReason, knownReasons, chartColumns, type LicenseAnswer, type LicenseOptions, type ReasonResult } from './license.ts';
import chart from './data/country-chart.json' with { type: 'json' };
/** The date of the regulation text the data encodes. */
export const rulesTextDate: string = chart.textDate;

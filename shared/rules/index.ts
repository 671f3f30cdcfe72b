/** Export-control knowledge: pure functions over the data files in ./data (no I/O). */
export { RulesError } from './errors.ts';
export { parseClassification, eccnEntry, eccnTable, usmlCategories, type Classification, type EccnEntry } from './classification.ts';
export { rowApplies, type LicenseRow, type Rule } from './ccl.ts';
export { resolveCountry, countryName, isCountryCode, countryGroups, inCountryGroup } from './countries.ts';
export { licenseRequired, isCountryOfConcern, normaliseReason, knownReasons, chartColumns, describeRule, type LicenseAnswer, type LicenseOptions, type ReasonResult } from './license.ts';
export { EXCEPTION_CODES, exceptionEligibility, exceptionHints, hintText, type ExceptionCode, type ExceptionHint } from './exceptions.ts';
import chart from './data/country-chart.json' with { type: 'json' };
/** The date of the regulation text the data encodes. */
export const rulesTextDate: string = chart.textDate;

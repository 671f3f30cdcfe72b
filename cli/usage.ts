// One line of usage per command: main.ts shows them without loading the commands themselves.
export const SCAN_USAGE = 'ittmon scan PATH... [--config FILE] [--json] [--source NAME] [--quarantine FILE] [--store DIR] [--fail-on SEVERITY] [--include-cleared] [--look-back]';
export const CHECK_USAGE = 'ittmon check [--config FILE]';
export const LOOKUP_USAGE = 'ittmon lookup CLASSIFICATION[.PARAGRAPH] COUNTRY [--deemed] [--reasons R,R] [--json]';
export const FLAGS_USAGE = 'ittmon flags [--store DIR] [--status S] [--json] [--objects]';
export const SERVE_USAGE = 'ittmon serve [--config FILE] [--store DIR] [--port N] [--host H] [--user NAME] [--pseudonymise] [--oidc-issuer URL --oidc-client-id ID [--oidc-roles-claim CLAIM] [--oidc-scopes "openid email profile"] [--oidc-scope-prefix P] [--public-url URL]]';
export const COLLECT_USAGE = 'ittmon collect SOURCE --out DIR [--since TIME]   (SOURCE: m365, gdrive, box, github, gitlab)';
export const DIFF_USAGE = 'ittmon diff OLD_CONFIG NEW_CONFIG [--json] [--apply [--store DIR]]';
export const REPLAY_USAGE = 'ittmon replay start (--days N | --since TIME [--until TIME]) [--bucket NAME[/PREFIX]]... [--look-back POLICY_VERSION] [--state-machine ARN | --outputs FILE] [--yes] | ittmon replay status [EXECUTION_ARN] [--state-machine ARN | --outputs FILE] [--json]';

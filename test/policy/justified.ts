/**
 * Permissions the stack grants that no recorded call or modelled flow uses, each with the reason it
 * stays. Keys are `grantee action resource` as the policy report prints them (grantee: the function
 * or service principal; resource: logical ids without CDK's hash). The policy test fails on a grant
 * that is unused and not here, and on an entry here that no longer matches an unused grant.
 */
export const JUSTIFIED: Record<string, string> = {
};

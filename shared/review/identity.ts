/** Who is acting, and what they may do. */
export type Role = 'viewer' | 'reviewer' | 'admin';
export interface Reviewer { id: string; name: string; roles: Role[] }

export const canRead = (r: Reviewer) => r.roles.length > 0;
export const canDecide = (r: Reviewer) => r.roles.includes('reviewer') || r.roles.includes('admin');

/**
 * A reviewer from the Cognito JWT claims that the HTTP API authorizer passes on
 * (`cognito:groups` may arrive as an array or as the string "[reviewer viewer]").
 */
export function reviewerFromClaims(claims: Record<string, unknown> | undefined): Reviewer | undefined {
  if (!claims) return undefined;
  const id = String(claims.email ?? claims['cognito:username'] ?? claims.username ?? claims.sub ?? '');
  if (!id) return undefined;
  const raw = claims['cognito:groups'];
  const groups = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean) : [];
  const roles = (['viewer', 'reviewer', 'admin'] as const).filter((r) => groups.includes(r));
  return { id, name: String(claims.name ?? id), roles };
}

/** The JWT claims API Gateway's HTTP API authorizer put on the Lambda event (hono/aws-lambda passes it as env.event). */
export function claimsFromLambdaEnv(env: unknown): Record<string, unknown> | undefined {
  const event = (env as { event?: { requestContext?: { authorizer?: { jwt?: { claims?: Record<string, unknown> } } } } } | undefined)?.event;
  return event?.requestContext?.authorizer?.jwt?.claims;
}

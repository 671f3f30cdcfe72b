import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK } from 'jose';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

/** A person who can sign in at the test provider (login = the account id; any password). */
export interface TestAccount {
  email: string; email_verified: boolean; name: string; groups: string[];
  /**
   * false: the access token carries no e-mail, as Cognito's access tokens do not (only sub, groups,
   * scope, client_id, username); who holds it is asked at the userinfo endpoint.
   */
  emailInAccessToken?: boolean;
}

export const API_RESOURCE = 'https://review-api.example.edu';
export const API_SCOPES = 'ittmon/review.read ittmon/review.decide';

export interface TestProvider {
  issuer: string;
  provider: Provider;
  /** An access token the provider itself issues for this account (JWT, as Cognito's are), for script tests. */
  accessToken(accountId: string, scope: string, clientId?: string): Promise<string>;
  /** A token signed with the provider's own key, with any claims: for expiry, audience and token_use cases. */
  sign(claims: Record<string, unknown>, typ?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real OpenID provider (`oidc-provider`, certified) on 127.0.0.1, configured as Cognito's
 * managed login is for ITT Monitor: authorization code only, PKCE (S256) required, a public
 * client, groups in `cognito:groups`, `email_verified`, refresh tokens on the code flow, JWT
 * access tokens with the review scopes, and RP-initiated logout.
 */
export async function startTestProvider(o: { clients: { id: string; redirectUris: string[]; postLogoutUris: string[] }[]; accounts: Record<string, TestAccount> }): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid: 'test-signing-key', alg: 'RS256', use: 'sig' };
  const claimsOf = (id: string) => {
    const a = o.accounts[id];
    return a ? { sub: id, email: a.email, email_verified: a.email_verified, name: a.name, 'cognito:groups': a.groups } : undefined;
  };
  const configuration: Configuration = {
    clients: o.clients.map((c) => ({
      client_id: c.id, token_endpoint_auth_method: 'none', redirect_uris: c.redirectUris, post_logout_redirect_uris: c.postLogoutUris,
      response_types: ['code'], grant_types: ['authorization_code', 'refresh_token'],
    })),
    responseTypes: ['code'],
    pkce: { required: () => true },
    scopes: ['openid', 'email', 'profile', 'offline_access'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'cognito:groups'] },
    conformIdTokenClaims: false, // Cognito puts the e-mail and groups in the ID token
    findAccount: async (_ctx: KoaContextWithOIDC, id: string) => (claimsOf(id) ? { accountId: id, claims: async () => claimsOf(id)! } : undefined),
    jwks: { keys: [jwk] },
    cookies: { keys: ['test-provider-cookie-key'] },
    // Cognito issues a refresh token on every code grant.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Consent is implied, as in Cognito's managed login: grant what the client asks.
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope(ctx.oidc.params!.scope as string);
      grant.addOIDCClaims(['email', 'email_verified', 'name', 'cognito:groups']);
      grant.addResourceScope(API_RESOURCE, API_SCOPES);
      await grant.save();
      return grant;
    },
    extraTokenClaims: async (_ctx, token) => {
      if (!('accountId' in token) || token.kind !== 'AccessToken') return undefined;
      const id = token.accountId as string;
      const claims = claimsOf(id);
      if (!claims) return undefined;
      if (o.accounts[id]!.emailInAccessToken === false) return { 'cognito:groups': claims['cognito:groups'], username: id, token_use: 'access' };
      return { ...claims, token_use: 'access' };
    },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: API_SCOPES, accessTokenFormat: 'jwt', audience: API_RESOURCE, accessTokenTTL: 3600 }),
      },
    },
  };
  const provider = new Provider(issuer, configuration);
  const oidcCallback = provider.callback();
  server.on('request', (req, res) => {
    // Cognito's userInfo endpoint answers for its own JWT access tokens; oidc-provider refuses
    // userinfo for tokens issued to a resource server. So here, as Cognito documents it: a valid
    // access token gets the holder's sub, e-mail, email_verified and name (never the groups).
    if (new URL(req.url ?? '/', issuer).pathname === '/me') {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      void (bearer ? jwtVerify(bearer, publicKey, { issuer }) : Promise.reject(new Error('no token'))).then(
        ({ payload }) => {
          const claims = payload.token_use === 'access' ? claimsOf(String(payload.sub)) : undefined;
          if (!claims) throw new Error('not an access token of a known user');
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: claims.sub, email: claims.email, email_verified: claims.email_verified, name: claims.name, username: claims.sub }));
        },
      ).catch(() => { res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"', 'content-type': 'application/json' }).end('{"error":"invalid_token"}'); });
      return;
    }
    oidcCallback(req, res);
  });
  return {
    issuer, provider,
    async accessToken(accountId, scope, clientId = o.clients[0]!.id) {
      const client = await provider.Client.find(clientId);
      const grant = new provider.Grant({ accountId, clientId });
      grant.addOIDCScope('openid email profile');
      grant.addResourceScope(API_RESOURCE, scope);
      const grantId = await grant.save();
      const token = new provider.AccessToken({ accountId, client: client!, grantId, scope, gty: 'authorization_code' });
      token.resourceServer = new ResourceServerLike(scope);
      return token.save();
    },
    sign: (claims, typ = 'JWT') => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: jwk.kid!, typ }).sign(privateKey),
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

/** What oidc-provider reads from a resource server when it formats an access token. */
class ResourceServerLike {
  readonly audience = API_RESOURCE;
  readonly accessTokenFormat = 'jwt';
  readonly accessTokenTTL = 3600;
  constructor(readonly scope: string) {}
  get scopes() { return new Set(this.scope.split(' ')); }
  identifier() { return API_RESOURCE; }
}

import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { cognitoSettings } from '../../functions/review-api/handler.ts';

let template: Template;
/** A URL on the review API's own endpoint (its ApiEndpoint attribute), not on any other host. */
const apiEndpoint = (path: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^ReviewApi[0-9A-F]{8}$'), 'ApiEndpoint'] }, path]] });

beforeAll(() => {
  // GIVEN the app as `npm run synth` builds it (cdk-nag included: unacknowledged findings throw)
  const { app, stack } = buildApp(new App());
  app.synth();
  template = Template.fromStack(stack);
}, 120_000);

describe('reviewers sign in with Cognito managed login', () => {
  it('has a user-pool domain with the newer managed login, and its branding', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { ManagedLoginVersion: 2, UserPoolId: { Ref: Match.stringLikeRegexp('^ReviewReviewers') }, Domain: Match.anyValue() });
    template.hasResourceProperties('AWS::Cognito::ManagedLoginBranding', { UseCognitoProvidedValues: true, ClientId: { Ref: Match.stringLikeRegexp('^ReviewReviewersClient') } });
  });

  it('the client does the authorization-code flow only, as a public client (PKCE binds the code), with the API\'s own URLs', () => {
    const clients = Object.values(template.findResources('AWS::Cognito::UserPoolClient'));
    expect(clients).toHaveLength(1);
    const p = clients[0]!.Properties;
    expect(p.AllowedOAuthFlows).toEqual(['code']); // no implicit, no client credentials
    expect(p.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(p.GenerateSecret ?? false).toBe(false);
    expect(p.SupportedIdentityProviders).toEqual(['COGNITO']);
    expect(p.AllowedOAuthScopes).toEqual(expect.arrayContaining(['openid', 'email', 'profile', 'ittmon/review.read', 'ittmon/review.decide']));
    expect(p.CallbackURLs).toEqual([expect.anything()]);
    expect(p.LogoutURLs).toEqual([expect.anything()]);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', { CallbackURLs: [apiEndpoint('/auth/callback')], LogoutURLs: [apiEndpoint('/signed-out')] });
    expect(p.RefreshTokenValidity).toBeLessThanOrEqual(8 * 60); // minutes: the session's absolute limit
    expect(p.EnableTokenRevocation).toBe(true);
  });

  it('turns on threat protection (the Plus tier includes it) in enforcing mode', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', { UserPoolTier: 'PLUS', UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' } });
  });

  it('pages reach the app without a bearer token; /api/* needs a JWT with the review scope for the method', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
    const byKey = Object.fromEntries(routes.map((r) => [r.RouteKey, { type: r.AuthorizationType ?? 'NONE', scopes: r.AuthorizationScopes }]));
    expect(byKey).toEqual({
      'GET /api/{proxy+}': { type: 'JWT', scopes: ['ittmon/review.read'] },
      'POST /api/{proxy+}': { type: 'JWT', scopes: ['ittmon/review.decide'] },
      'GET /{proxy+}': { type: 'NONE', scopes: undefined }, 'POST /{proxy+}': { type: 'NONE', scopes: undefined }, 'HEAD /{proxy+}': { type: 'NONE', scopes: undefined },
      'GET /': { type: 'NONE', scopes: undefined }, 'HEAD /': { type: 'NONE', scopes: undefined },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'JWT', JwtConfiguration: { Audience: [{ Ref: Match.stringLikeRegexp('^ReviewReviewersClient') }], Issuer: Match.anyValue() } });
  });

  it('the function knows its issuer, client, sign-in domain and scopes; ReviewUrl is the page to open', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Environment?.Variables?.COGNITO_CLIENT_ID);
    expect(fn!.Properties.Environment.Variables).toMatchObject({ COGNITO_ISSUER: expect.anything(), COGNITO_DOMAIN_URL: expect.anything(), REVIEW_SCOPE_PREFIX: 'ittmon', REVIEW_URL: expect.anything() });
    template.hasOutput('ReviewUrl', { Value: apiEndpoint('/') });
  });

  it('the handler turns that environment into Cognito sign-in settings, with its /logout URL', () => {
    const s = cognitoSettings({ COGNITO_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc', COGNITO_CLIENT_ID: 'client123', COGNITO_DOMAIN_URL: 'https://ittmon-1.auth.eu-west-1.amazoncognito.com', REVIEW_SCOPE_PREFIX: 'ittmon', REVIEW_URL: 'https://x.execute-api.eu-west-1.amazonaws.com/' }, 'k');
    expect(s).toMatchObject({ issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc', clientId: 'client123', baseUrl: 'https://x.execute-api.eu-west-1.amazonaws.com', rolesClaim: 'cognito:groups', apiScopes: { read: ['ittmon/review.read'], decide: ['ittmon/review.decide'] } });
    expect(s.logoutUrl!('https://x.execute-api.eu-west-1.amazonaws.com/signed-out')).toBe('https://ittmon-1.auth.eu-west-1.amazoncognito.com/logout?client_id=client123&logout_uri=https%3A%2F%2Fx.execute-api.eu-west-1.amazonaws.com%2Fsigned-out');
    expect(() => cognitoSettings({}, 'k')).toThrow('the review-api function needs COGNITO_DOMAIN_URL (set by the CDK stack)');
  });
});

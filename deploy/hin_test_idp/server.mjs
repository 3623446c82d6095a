// A TEST identity provider standing in for HIN (Health Info Net) in the tests and `make run`.
// It is oidc-provider, an independent, certified OpenID Connect implementation, with its
// development login form: any listed test identity logs in, whatever password is typed.
// Never deploy it: it exists so that the portal's HIN login is tested against a real provider.
//
// Configuration (environment): IDP_PORT, IDP_ISSUER, IDP_CLIENT_ID, IDP_CLIENT_SECRET,
// IDP_REDIRECT_URI, IDP_ACCOUNTS (a JSON file: {"login": {claims}}, read at each login so that
// tests can add identities).
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`configuration error: ${name} is not set`);
    process.exit(2);
  }
  return value;
};

const port = Number(env('IDP_PORT'));
const issuer = env('IDP_ISSUER');
const accountsFile = env('IDP_ACCOUNTS');
const clientId = env('IDP_CLIENT_ID');
const clientSecret = env('IDP_CLIENT_SECRET');
const redirectUri = env('IDP_REDIRECT_URI');
const SCOPES = ['openid', 'profile', 'email', 'hin'];

function identity(login) {
  const accounts = JSON.parse(readFileSync(accountsFile, 'utf8'));
  return Object.hasOwn(accounts, login) ? accounts[login] : undefined;
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  scopes: SCOPES,
  claims: {
    openid: ['sub'],
    profile: ['given_name', 'family_name'],
    email: ['email'],
    hin: ['gln', 'hin_identity_type'],
  },
  async findAccount(ctx, login) {
    const found = identity(login);
    if (!found) return undefined;
    return {
      accountId: login,
      async claims() {
        return { sub: found.sub, ...found };
      },
    };
  },
  // HIN asks its members nothing more once they logged in for a registered client: grant the
  // portal's scopes at once (the development consent page would otherwise follow the login).
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(SCOPES.join(' '));
    await grant.save();
    return grant;
  },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: { devInteractions: { enabled: true } },
  ttl: { AuthorizationCode: 60, AccessToken: 300, Session: 3600, Interaction: 600, Grant: 3600 },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`test identity provider (not HIN) listening on ${issuer}`);
});

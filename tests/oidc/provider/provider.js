// A real OpenID provider for the tests (panva/oidc-provider, OpenID Certified): started by
// tests/oidc/conftest.py as `node provider.js <port> <config.json>`, on 127.0.0.1.
//
// Its own small login page stands in for a trust's: the account is whatever is typed (an
// email address), with optional fields for what a real provider decides (the email claim,
// whether the email is verified, the assurance level acr and the methods amr). Consent is
// skipped, as for a first-party app. It prints "ready <issuer>" when listening.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const settings = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const issuer = `http://127.0.0.1:${port}`;
const accounts = new Map(); // accountId -> claims, as the last login form said

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const configuration = {
  clients: settings.clients,
  cookies: { keys: ['test-only-cookie-key-not-secret'] },
  pkce: { required: () => true },
  acrValues: ['aal1', 'aal2', 'aal3'],
  // acr, amr and sid in every ID token, as CIS2 sends them (oidc-provider's default leaves
  // them out unless the client asks with acr_values or the claims parameter).
  claims: {
    acr: null, amr: null, sid: null, auth_time: null, iss: null,
    openid: ['sub', 'acr', 'amr', 'sid', 'auth_time'], email: ['email', 'email_verified'],
    profile: ['name'],
  },
  ttl: { IdToken: settings.idTokenTtl || 600, AuthorizationCode: 60, Session: 3600,
         Interaction: 600, Grant: 3600, AccessToken: 600 },
  features: {
    devInteractions: { enabled: false },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // The provider's own "do you want to sign out?" page, with a plain button.
      logoutSource: async (ctx, form) => {
        ctx.body = `<!DOCTYPE html><html lang="en"><head><title>Sign out of the provider</title></head>
          <body><h1>Sign out of the test provider?</h1>${form}
          <button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
          </body></html>`;
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = '<!DOCTYPE html><html lang="en"><head><title>Signed out</title></head><body><h1>Signed out of the provider</h1></body></html>';
      },
    },
  },
  async findAccount(ctx, id) {
    const claims = accounts.get(id) || { email: id, email_verified: true, name: '' };
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: claims.email, email_verified: claims.email_verified,
                 name: claims.name };
      },
    };
  },
  // First-party app: no consent screen, the grant is made on the spot.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  // The provider guards its outgoing requests (back-channel logout) against special-use
  // addresses, SSRF protection; the app under test listens on 127.0.0.1, so here only the
  // guard's dispatcher is left out.
  fetch: (url, options) => {
    const { dispatcher, ...rest } = options; // eslint-disable-line no-unused-vars
    return globalThis.fetch(url, rest);
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
};

const provider = new Provider(issuer, configuration);

// The app under test listens on a port chosen at random: a redirect URI is allowed when its
// path is a registered one's and its host is 127.0.0.1 or localhost, any port. (The app's
// own checks are what the tests are about; the token endpoint still insists on the same
// redirect_uri as the authorization request's.)
function sameAppAnyPort(value, registered) {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && ['127.0.0.1', 'localhost'].includes(url.hostname)
      && !url.search && !url.hash
      && registered.some((uri) => new URL(uri).pathname === url.pathname);
  } catch {
    return false;
  }
}
provider.Client.prototype.redirectUriAllowed = function allowed(value) {
  return sameAppAnyPort(value, this.redirectUris);
};
provider.Client.prototype.postLogoutRedirectUriAllowed = function allowed(value) {
  return sameAppAnyPort(value, this.postLogoutRedirectUris);
};

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return Object.fromEntries(new URLSearchParams(body));
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/favicon.ico') { // no icon: and no 404 for the browser to log
    ctx.status = 204;
    return undefined;
  }
  const match = ctx.path.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html lang="en"><head><title>Test provider sign-in</title></head>
      <body><h1>Test provider sign-in</h1><p>Client: ${escape(details.params.client_id)}</p>
      <form method="post" action="/interaction/${escape(details.uid)}/login">
        <label>Account <input name="login" id="login" autofocus></label>
        <label>Email claim (blank: the account) <input name="email" id="claim-email"></label>
        <label>Name <input name="name" id="claim-name"></label>
        <label>Email verified <select name="email_verified" id="email-verified">
          <option value="true">yes</option><option value="false">no</option></select></label>
        <label>acr <select name="acr" id="acr"><option value="aal2">aal2</option>
          <option value="aal1">aal1</option><option value="aal3">aal3</option></select></label>
        <label>amr <input name="amr" id="amr" value="pwd"></label>
        <button type="submit">Sign in at the provider</button>
      </form></body></html>`;
    return undefined;
  }
  if (ctx.method === 'POST' && match[2]) {
    const form = await readForm(ctx.req);
    const accountId = form.login.trim();
    accounts.set(accountId, { email: (form.email || accountId).trim(),
                              email_verified: form.email_verified !== 'false',
                              name: form.name || '' });
    await provider.interactionFinished(ctx.req, ctx.res, {
      login: { accountId, acr: form.acr || 'aal2',
               amr: (form.amr || 'pwd').split(/[ ,]+/).filter(Boolean) },
    }, { mergeWithLastSubmission: false });
    return undefined;
  }
  return next();
});

provider.on('backchannel.error', (ctx, err, client) => {
  console.error(`back-channel logout to ${client.clientId} failed: ${err} ${err.cause}`);
});
provider.on('server_error', (ctx, err) => console.error(`server error: ${err.stack}`));

provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});

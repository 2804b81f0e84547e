// A real OpenID Connect provider for the staff sign-in tests (docs/sso.md): oidc-provider (a
// certified implementation) with test users, started by tests/sso/conftest.py.
//
//   node provider.mjs CONFIG.json [PORT]        (PORT may also come from $PORT; default 0)
//
// CONFIG: {"issuer": "http://127.0.0.1:PORT", "clients": [{client_id, client_secret?,
// redirect_uris, post_logout_redirect_uris?, grant_types?, ...client metadata}],
// "users": {"ID": {"password"?, "email", "name", "groups": [...]}}, "access_token_ttl": seconds,
// "id_token_ttl"?, "refresh_token_ttl"?, "cookie_keys"?}.
//
// Sign-in is oidc-provider's development login form (fields `login` = user id and `password`,
// button "Sign-in"); an unknown user or a wrong password is refused (401). Consent is automatic.
// Test controls, on this test provider only:
//   POST /__test/users/ID/groups   JSON list: the user's groups from the next token or refresh
//   POST /__test/users/ID/disable  the provider no longer knows the user (refresh fails)
//   POST /__test/users/ID/enable   undoes disable
//   GET  /__test/health            {"ok": true, "issuer": ...}
// Prints `READY <issuer>` on stdout once listening on 127.0.0.1.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as querystring from 'node:querystring';

import Provider from 'oidc-provider';

const [configPath, portArg] = process.argv.slice(2);
if (!configPath) {
  console.error('usage: node provider.mjs CONFIG.json [PORT]');
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const port = Number(portArg ?? process.env.PORT ?? 0);
const issuer = config.issuer ?? `http://127.0.0.1:${port}`;
const users = structuredClone(config.users ?? {});
const disabled = new Set();
const accessTtl = Number(config.access_token_ttl ?? 300);

// A fixed random key: the cookies of one run stay valid if the provider is restarted.
const COOKIE_KEYS = config.cookie_keys ?? ['b3f9c1d27a5e48e6a0d4c9f1e27b6a85d0c3e9f4a1b7d2c6'];

function account(id) {
  const user = Object.hasOwn(users, id) && !disabled.has(id) ? users[id] : undefined;
  if (!user) return undefined;
  return {
    accountId: id,
    // Read at every issue (token, refresh, userinfo): group changes show at the next one.
    async claims() {
      return {
        sub: id,
        email: user.email,
        email_verified: true,
        name: user.name,
        groups: [...(user.groups ?? [])],
      };
    },
  };
}

function client(entry) {
  const { client_id: id, client_secret: secret, ...rest } = entry;
  return {
    client_id: id,
    ...(secret ? { client_secret: secret } : { token_endpoint_auth_method: 'none' }),
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    post_logout_redirect_uris: [],
    ...rest,
  };
}

const page = (title, body) => `<!DOCTYPE html><html><head><meta charset="utf-8">
<title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  clients: (config.clients ?? []).map(client),
  jwks: { keys: [{ ...jwk, kid: 'test-rs256', alg: 'RS256', use: 'sig' }] },
  cookies: { keys: COOKIE_KEYS },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  findAccount: (ctx, sub) => account(sub),
  issueRefreshToken: async (ctx, c) => c.grantTypeAllowed('refresh_token'),
  // Consent is automatic: the grant covers whatever OIDC scopes and claims the client asks for.
  async loadExistingGrant(ctx) {
    const { oidc } = ctx;
    const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
    const grant = (grantId && await oidc.provider.Grant.find(grantId))
      || new oidc.provider.Grant({
        clientId: oidc.client.clientId, accountId: oidc.session.accountId,
      });
    grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
    grant.addOIDCClaims([...oidc.requestParamClaims]);
    await grant.save();
    return grant;
  },
  ttl: {
    AccessToken: accessTtl,
    IdToken: Number(config.id_token_ttl ?? accessTtl),
    RefreshToken: Number(config.refresh_token_ttl ?? 86400),
    AuthorizationCode: 60,
    Interaction: 600,
    Session: 86400,
    Grant: 86400,
  },
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // Signs out without asking (the form submits itself; "Yes, sign me out" without scripts).
      async logoutSource(ctx, form) {
        const yes = form.replace('</form>',
          '<input type="hidden" name="logout" value="yes"/></form>');
        ctx.body = page('Sign out', `${yes}
<button type="submit" form="op.logoutForm">Yes, sign me out</button>
<script>document.getElementById('op.logoutForm').submit()</script>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Signed out', '<p>You are signed out.</p>');
      },
    },
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error', Object.entries(out)
      .map(([k, v]) => `<pre><strong>${k}</strong>: ${escape(v)}</pre>`).join(''));
  },
});

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

// The test controls.
async function testControl(ctx) {
  const { method, path } = ctx;
  if (method === 'GET' && path === '/__test/health') {
    ctx.body = { ok: true, issuer };
    return;
  }
  const match = /^\/__test\/users\/([^/]+)\/(groups|disable|enable)$/.exec(path);
  if (method !== 'POST' || !match) ctx.throw(404, 'unknown test control');
  const id = decodeURIComponent(match[1]);
  if (!Object.hasOwn(users, id)) ctx.throw(404, `unknown user ${id}`);
  if (match[2] === 'groups') {
    const groups = JSON.parse(await readBody(ctx.req));
    if (!Array.isArray(groups)) ctx.throw(400, 'a JSON list of groups');
    users[id].groups = groups.map(String);
  } else if (match[2] === 'disable') {
    disabled.add(id);
  } else {
    disabled.delete(id);
  }
  ctx.body = { user: id, groups: users[id].groups ?? [], disabled: disabled.has(id) };
}

// The development login form takes any login: here only a known user, with their password
// when they have one, gets through.
async function checkLogin(ctx, next) {
  const body = querystring.parse(await readBody(ctx.req));
  ctx.request.body = body;
  if (body.prompt === 'login') {
    const user = Object.hasOwn(users, body.login) ? users[body.login] : undefined;
    if (!user || disabled.has(body.login)
        || (user.password !== undefined && user.password !== body.password)) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = page('Sign-in refused', `<p id="error">Unknown user or wrong password.</p>
<p><a href="${escape(ctx.path)}">Try again</a></p>`);
      return;
    }
  }
  await next();
}

provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/__test/')) return testControl(ctx);
  if (ctx.method === 'POST' && /^\/interaction\/[^/]+$/.test(ctx.path)
      && ctx.is('application/x-www-form-urlencoded')) {
    return checkLogin(ctx, next);
  }
  await next();
  // The development pages import a web font: nothing here reaches beyond loopback.
  if (ctx.path.startsWith('/interaction/') && typeof ctx.body === 'string') {
    ctx.body = ctx.body.replace(/@import url\([^)]*\);?/g, '');
  }
});

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`READY ${issuer}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

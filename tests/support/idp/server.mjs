// Loopback Auth0-shaped OpenID Provider for changeset's integration tests, built on panva's
// oidc-provider (a certified OP). Serves: RFC 8628 device flow, OpenID CIBA (poll),
// refresh with rotation and reuse detection, revocation, and an Auth0-Token-Vault-shaped
// token exchange. Adapted from shared/reference/idp-example (see local-idp-for-tests.md).
//
// Usage:  node server.mjs            (PORT=0 picks a free port)
// The Rust tests start it themselves (tests/it/idp.rs) and kill it when the test ends.
// Prints one line `READY {"issuer":...,"base_url":...,"port":...}` on stdout when listening.
// Environment knobs: see the `env(...)` calls below (POLL_INTERVAL, CIBA_AUTO, DEVICE_CODE_TTL, ...).
//
// Test-only control endpoints (NOT part of any spec) live under /_test/:
//   GET  /_test/ciba/pending                      -> [{auth_req_id, account_id, binding_message, scope, client_id}]
//   GET  /_test/ciba/requests                     -> every CIBA request ever received, with its result
//   POST /_test/ciba/approve  {auth_req_id?|binding_message?|account_id?}  -> provider.backchannelResult(grant)
//   POST /_test/ciba/deny     {auth_req_id?|binding_message?|account_id?}  -> provider.backchannelResult(AccessDenied)
//   GET  /_test/device/pending                    -> [{user_code, client_id, scope}]
//   POST /_test/device/approve {user_code?, account_id?, scope?}  (no user_code = the newest pending one;
//                                                  scope = the API permissions the user has, default all)
//   POST /_test/device/deny    {user_code?}
//   POST /_test/slow_down      {count}            -> next `count` pending polls answer slow_down
//   POST /_test/drop           {count}            -> next `count` token-endpoint polls lose their connection
//   POST /_test/federated_scope {scope}           -> the connected account's granted scope ("" = FEDERATED_SCOPE)
//   GET  /_test/federated_tokens                  -> tokens minted by the token exchange (with the subject's grant)
//   GET  /_test/log                               -> token-endpoint requests seen (t_ms, grant_type, status, error)
//   GET  /_test/revocations                       -> revocation requests seen (client_id, status, params)
//   GET  /_test/assertions                        -> private_key_jwt client assertions seen (header, payload)
//   POST /_test/access_token {sub,aud,scope,expires_in,nbf_in} -> a JWT access token signed with the tenant key
//
// Like Auth0 (shared/reference/auth0-protocols.md): Token Vault returns the connection's whole
// granted scope (a `scope` parameter does not narrow it); an access-token exchange is done only
// by the client linked to the subject token's audience (`resource_server_identifier`, else 403);
// CIBA only by a client with the CIBA grant; `requested_expiry` <= 300 s is a Guardian push,
// 301-259200 s an e-mail; a private_key_jwt assertion must use the client's registered alg and
// aud = the issuer with its trailing slash; rotation with reuse detection revokes the family.
// Bodies may be JSON or x-www-form-urlencoded.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';

import Provider, { errors } from 'oidc-provider';

const t0 = performance.now();
const env = (k, d) => (process.env[k] === undefined ? d : process.env[k]);
const PORT = Number(env('PORT', '0'));
const HOST = env('HOST', '127.0.0.1');
const INTERVAL = Number(env('POLL_INTERVAL', '5')); // seconds, returned as `interval`
const ENFORCE_INTERVAL = env('ENFORCE_INTERVAL', '1') === '1'; // answer slow_down to early polls
const SLOW_DOWN_STEP = Number(env('SLOW_DOWN_STEP', '5')); // RFC 8628 3.5: +5s
const DEFAULT_ACCOUNT = env('DEFAULT_ACCOUNT', 'auth0|user-1');
const CLIENT_SECRET = env('CLIENT_SECRET', 'test-secret');
const CIBA_AUTO = env('CIBA_AUTO', ''); // '', 'approve', 'deny'
const DEVICE_AUTO = env('DEVICE_AUTO', ''); // '', 'approve', 'deny'
const AUTO_DELAY_MS = Number(env('AUTO_DELAY_MS', '1500'));
const TOKEN_DELAY_MS = Number(env('TOKEN_DELAY_MS', '0')); // delays every token-endpoint answer: widens the window for refresh races
const FEDERATED_ACCESS_TOKEN = env('FEDERATED_ACCESS_TOKEN', ''); // fixed Google token, else random
// What the user granted when connecting the Google account: the exchange returns all of it.
const FEDERATED_SCOPE = env('FEDERATED_SCOPE',
  'openid https://www.googleapis.com/auth/spreadsheets https://www.googleapis.com/auth/gmail.send');
// The API (audience) the confidential clients below are linked to, as a Custom API Client is.
const API_AUDIENCE = env('API_AUDIENCE', 'https://api.changeset.test');
const ASSERTION_ALG = env('ASSERTION_ALG', 'RS256'); // the alg registered for cli-confidential-jwt
// The permissions the API defines (Auth0 RBAC: a login asks for them in `scope`, gets what is granted).
const API_SCOPES = env('API_SCOPES', 'changeset:plan changeset:apply changeset:audit');
const KNOWN_APIS = [API_AUDIENCE, 'https://other-api.changeset.test'];
// The device flow's routes: its start, and its browser leg (which settles the code's resource).
const DEVICE_ROUTES = ['device_authorization', 'code_verification', 'device_resume'];

const FED_GRANT = 'urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token';
const FED_TOKEN_TYPE = 'http://auth0.com/oauth/token-type/federated-connection-access-token';
const RFC8693_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const TT_REFRESH = 'urn:ietf:params:oauth:token-type:refresh_token';
const TT_ACCESS = 'urn:ietf:params:oauth:token-type:access_token';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';
// The RAR type registered on the API (Auth0: authorization_details on the resource server).
const RAR_TYPE = 'urn:auth0:schemas:authorization-details:v1:changeset';

// ---- signing key: RS256 like Auth0. SIGNING_JWK_FILE = a private RSA JWK (fast, stable kid);
// otherwise an ephemeral 2048-bit key is generated (50-450 ms of start-up on 2 cores).
// JWK_CACHE = a path: reuse the key there, or generate one and leave it there for the next start.
let jwk;
const JWK_CACHE = process.env.JWK_CACHE;
if (process.env.SIGNING_JWK_FILE) {
  jwk = JSON.parse(fs.readFileSync(process.env.SIGNING_JWK_FILE, 'utf8'));
} else if (JWK_CACHE && fs.existsSync(JWK_CACHE)) {
  jwk = JSON.parse(fs.readFileSync(JWK_CACHE, 'utf8'));
} else {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', alg: 'RS256', use: 'sig' };
}
if (process.env.WRITE_JWK_FILE) fs.writeFileSync(process.env.WRITE_JWK_FILE, JSON.stringify(jwk));
if (JWK_CACHE && !fs.existsSync(JWK_CACHE)) {
  // Write-then-rename, so that servers started in parallel never read half a key.
  const tmp = `${JWK_CACHE}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(jwk));
  fs.renameSync(tmp, JWK_CACHE);
}

const accounts = {
  [DEFAULT_ACCOUNT]: { email: 'user1@example.com', name: 'Test User' },
};

const pendingCiba = new Map(); // auth_req_id -> info
const cibaRequests = []; // every CIBA request received (info objects, `result` filled in when settled)
const federatedTokens = [];
const tokenLog = [];
const revocations = [];
const assertions = []; // private_key_jwt assertions seen: { client_id, header, payload }
const grantAudience = new Map(); // grant id -> the `audience` its login or CIBA request asked for
const issuedTokens = []; // every access/refresh token value issued, so tests can grep for leaks
const pollState = new Map(); // device_code / auth_req_id -> { last, interval }
let forcedSlowDowns = 0;
let forcedDrops = 0;
let federatedScopeOverride = '';
const t0ms = Date.now();

const configuration = {
  clients: [
    { // public native client (what a CLI is): device flow + refresh
      client_id: 'cli-public',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: [DEVICE_GRANT, 'refresh_token'],
      response_types: [],
      redirect_uris: [],
    },
    { // confidential client holding both CIBA and the Token Vault exchange for the API
      // (the CHANGESET_CONFIDENTIAL_CLIENT_ID fallback; Auth0 documents no such client)
      client_id: 'cli-confidential',
      client_secret: CLIENT_SECRET,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: [CIBA_GRANT, 'refresh_token', FED_GRANT, RFC8693_GRANT],
      response_types: [],
      redirect_uris: [],
      backchannel_token_delivery_mode: 'poll',
      authorization_details_types: [RAR_TYPE],
      resource_server_identifier: API_AUDIENCE,
    },
    { // same, but HTTP Basic client auth
      client_id: 'cli-confidential-basic',
      client_secret: CLIENT_SECRET,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [CIBA_GRANT, 'refresh_token', FED_GRANT, RFC8693_GRANT],
      response_types: [],
      redirect_uris: [],
      backchannel_token_delivery_mode: 'poll',
      authorization_details_types: [RAR_TYPE],
      resource_server_identifier: API_AUDIENCE,
    },
    { // a first-party confidential app with the CIBA grant only (Auth0's CIBA client)
      client_id: 'cli-ciba',
      client_secret: CLIENT_SECRET,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: [CIBA_GRANT],
      response_types: [],
      redirect_uris: [],
      backchannel_token_delivery_mode: 'poll',
      authorization_details_types: [RAR_TYPE],
    },
    { // the Custom API Client: app_type resource_server, linked to the API, Token Vault grant only
      client_id: 'cli-vault',
      client_secret: CLIENT_SECRET,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: [FED_GRANT],
      response_types: [],
      redirect_uris: [],
      resource_server_identifier: API_AUDIENCE,
    },
    { // a Custom API Client of ANOTHER API: it may exchange only tokens for that API
      client_id: 'cli-other-api',
      client_secret: CLIENT_SECRET,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: [FED_GRANT],
      response_types: [],
      redirect_uris: [],
      resource_server_identifier: 'https://other-api.changeset.test',
    },
    ...(process.env.ASSERTION_JWKS ? [{ // same, with private_key_jwt (ASSERTION_JWKS = a public JWK Set)
      client_id: 'cli-confidential-jwt',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: ASSERTION_ALG,
      jwks: JSON.parse(process.env.ASSERTION_JWKS),
      grant_types: [CIBA_GRANT, 'refresh_token', FED_GRANT, RFC8693_GRANT],
      response_types: [],
      redirect_uris: [],
      backchannel_token_delivery_mode: 'poll',
      authorization_details_types: [RAR_TYPE],
      resource_server_identifier: API_AUDIENCE,
    }] : []),
  ],
  // Auth0-shaped paths, so the CLI's "domain" can simply be http://127.0.0.1:PORT
  routes: {
    device_authorization: '/oauth/device/code',
    backchannel_authentication: '/bc-authorize',
    token: '/oauth/token',
    code_verification: '/activate',
    revocation: '/oauth/revoke',
    jwks: '/.well-known/jwks.json',
    userinfo: '/userinfo',
    introspection: '/oauth/introspect',
  },
  jwks: { keys: [jwk] },
  cookies: { keys: ['test-only-cookie-key'] },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  async findAccount(ctx, id) {
    const a = accounts[id] || { email: `${id.replace(/\W/g, '_')}@example.com`, name: id };
    return {
      accountId: id,
      async claims() { return { sub: id, email: a.email, email_verified: true, name: a.name }; },
    };
  },
  // Auth0 accepts `audience`; oidc-provider would silently drop unknown params, so allow it.
  extraParams: ['audience'],
  // A Custom API Client names the API it is linked to.
  extraClientMetadata: { properties: ['resource_server_identifier'] },
  enabledJWA: { clientAuthSigningAlgValues: ['RS256', 'RS384', 'PS256'] },
  // Auth0: the assertion's aud is the tenant URL with its trailing slash (not the token endpoint).
  async assertJwtClientAuthClaimsAndHeader(ctx, payload, header, client) {
    assertions.push({ client_id: client.clientId, header, payload });
    if (payload.aud !== provider.issuer) {
      throw new errors.InvalidClientAuth(`aud must be ${provider.issuer}`);
    }
  },
  // Auth0 puts the profile and email claims of the granted scopes into the ID token itself.
  conformIdTokenClaims: false,
  ttl: {
    AccessToken: Number(env('AT_TTL', '3600')),
    IdToken: 3600,
    RefreshToken: Number(env('RT_TTL', String(30 * 24 * 3600))),
    DeviceCode: Number(env('DEVICE_CODE_TTL', '600')),
    BackchannelAuthenticationRequest(ctx, request) {
      const req = Number(ctx?.oidc?.params?.requested_expiry);
      return Number.isSafeInteger(req) && req > 0 ? Math.min(req, 600) : Number(env('CIBA_TTL', '300'));
    },
    Grant: 30 * 24 * 3600,
    Interaction: 3600,
    Session: 3600,
  },
  rotateRefreshToken: () => env('ROTATE_REFRESH', '1') === '1', // Auth0 "refresh token rotation" on
  clientBasedCORS: () => false,
  features: {
    devInteractions: { enabled: true }, // built-in login/consent pages: lets curl finish the browser leg
    revocation: { enabled: true },
    introspection: { enabled: true },
    deviceFlow: { enabled: true, charset: 'base-20', mask: '****-****' },
    // Rich Authorization Requests, as Auth0 accepts them with CIBA: one registered type; the token
    // response echoes the details (RAR_ECHO=tamper changes the plan hash, =drop leaves them out).
    // oidc-provider ties RAR to a resource: only a CIBA request that carries authorization_details
    // gets one (the API audience); every other request is issued exactly as before.
    // A device login that names an API (Auth0's `audience=`, or RFC 8707 `resource=`) gets a JWT
    // access token for it, as Auth0 issues: RS256 with the tenant key, aud = the API, the granted
    // API scopes, the user's sub; refreshes keep the API. A login naming no API gets an opaque
    // token (for userinfo only). CIBA answers stay as before (opaque; RAR needs a resource).
    resourceIndicators: {
      enabled: true,
      defaultResource(ctx) {
        const p = ctx.oidc.params || {};
        if (p.authorization_details) return p.audience || API_AUDIENCE;
        if (DEVICE_ROUTES.includes(ctx.oidc.route) && p.audience) return p.audience;
        return undefined;
      },
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, resource) {
        if (ctx.oidc.route === 'backchannel_authentication' || ctx.oidc.params?.grant_type === CIBA_GRANT) {
          return { scope: 'openid', accessTokenFormat: 'opaque' };
        }
        if (!KNOWN_APIS.includes(resource)) throw new errors.InvalidTarget(`no API with the identifier ${resource}`);
        return { scope: API_SCOPES, audience: resource, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
      },
    },
    richAuthorizationRequests: {
      enabled: true,
      types: {
        [RAR_TYPE]: {
          async validate(ctx, detail) {
            const props = detail.properties;
            const ok = typeof detail.instruction === 'string'
              && Array.isArray(props) && props.length <= 10
              && props.every((p) => typeof p.name === 'string' && typeof p.value === 'string'
                && p.name.length <= 255 && p.value.length <= 255);
            if (!ok) throw new errors.InvalidAuthorizationDetails('not the changeset details shape');
          },
        },
      },
      async authorizationDetailsForAccessToken(ctx, token, source) { return source?.rar; },
    },
    ciba: {
      enabled: true,
      deliveryModes: ['poll'],
      // Auth0 sends login_hint as JSON: {"format":"iss_sub","iss":"https://TENANT/","sub":"auth0|..."}
      async processLoginHint(ctx, loginHint) {
        let sub = loginHint;
        if (loginHint.startsWith('{')) {
          let h;
          try { h = JSON.parse(loginHint); } catch { throw new errors.InvalidRequest('login_hint is not valid JSON'); }
          if (h.format !== 'iss_sub' || typeof h.sub !== 'string') {
            throw new errors.InvalidRequest('login_hint must be {"format":"iss_sub","iss":...,"sub":...}');
          }
          sub = h.sub;
        }
        return sub === 'unknown' ? undefined : sub; // undefined -> unknown_user_id
      },
      async processLoginHintToken() { throw new errors.InvalidRequest('login_hint_token not supported'); },
      async verifyUserCode() {}, // backchannel_user_code_parameter not used
      async validateRequestContext(ctx) {
        // Auth0: requested_expiry 1-300 s is a Guardian push, 301-259200 s an e-mail; no more.
        const e = ctx.oidc.params.requested_expiry;
        if (e !== undefined && !(Number(e) >= 1 && Number(e) <= 259200)) {
          throw new errors.InvalidRequest('requested_expiry must be between 1 and 259200');
        }
      },
      async validateBindingMessage(ctx, msg) {
        // Auth0: required; printable, <= 64 chars. (oidc-provider default: 1-20 chars of [a-zA-Z0-9-._+/!?#])
        if (env('REQUIRE_BINDING_MESSAGE', '1') === '1' && !msg) {
          throw new errors.InvalidBindingMessage('binding_message is required');
        }
        if (msg !== undefined && !/^[\x20-\x7e]{1,64}$/.test(msg)) {
          throw new errors.InvalidBindingMessage('binding_message must be 1-64 printable ASCII characters');
        }
      },
      async triggerAuthenticationDevice(ctx, request, account, client) {
        // "push notification" = remember it; a test approves/denies through /_test/ciba/*
        const info = {
          auth_req_id: request.jti,
          account_id: account.accountId,
          client_id: client.clientId,
          binding_message: request.params.binding_message,
          authorization_details: request.params.authorization_details,
          scope: request.scope,
          audience: request.params.audience,
          created_at: Date.now(),
        };
        info.requested_expiry = request.params.requested_expiry;
        info.channel = Number(info.requested_expiry ?? 300) <= 300 ? 'guardian-push' : 'email';
        pendingCiba.set(request.jti, info);
        cibaRequests.push(info);
        if (CIBA_AUTO) setTimeout(() => settleCiba(request.jti, CIBA_AUTO === 'approve').catch(console.error), AUTO_DELAY_MS);
      },
    },
  },
};

// Bind first so that PORT=0 works: the issuer must contain the real port.
const server = http.createServer();
await new Promise((resolve) => server.listen(PORT, HOST, resolve));
const { port } = server.address();
const BASE_URL = `http://${HOST}:${port}`;
// Auth0's issuer (and id_token `iss`) is "https://TENANT/" WITH a trailing slash; oidc-provider copes.
const provider = new Provider(env('ISSUER_TRAILING_SLASH', '1') === '1' ? `${BASE_URL}/` : BASE_URL, configuration);

async function settleCiba(authReqId, approve) {
  if (!authReqId) throw Object.assign(new Error('no matching pending CIBA request'), { status: 404 });
  const req = await provider.BackchannelAuthenticationRequest.find(authReqId, { ignoreExpiration: true });
  if (!req) throw Object.assign(new Error('unknown auth_req_id'), { status: 404 });
  const info = pendingCiba.get(authReqId);
  if (info) Object.assign(info, { result: approve ? 'approved' : 'denied', settled_ms: Date.now() - t0ms });
  pendingCiba.delete(authReqId);
  if (!approve) {
    // backchannelResult() stores `error_description` (snake case) but the grant reads
    // `errorDescription`, so the description would be lost: set it on the instance first.
    req.errorDescription = 'end-user denied the request';
    await provider.backchannelResult(req, new errors.AccessDenied('end-user denied the request'));
    return { auth_req_id: authReqId, result: 'denied' };
  }
  const grant = new provider.Grant({ clientId: req.clientId, accountId: req.accountId });
  grant.addOIDCScope(req.scope);
  if (req.claims) grant.addOIDCClaims(Object.keys({ ...req.claims.id_token, ...req.claims.userinfo }));
  await grant.save();
  grantAudience.set(grant.jti, req.params.audience);
  let rar = req.params.authorization_details ? JSON.parse(req.params.authorization_details) : undefined;
  if (rar && env('RAR_ECHO', 'echo') === 'tamper') {
    rar = rar.map((d) => ({ ...d, properties: d.properties.map((p) => (p.name === 'plan_hash' ? { ...p, value: `sha256:${'0'.repeat(64)}` } : p)) }));
  }
  if (env('RAR_ECHO', 'echo') === 'drop') rar = undefined;
  await provider.backchannelResult(req, grant, { amr: ['mfa'], authTime: Math.floor(Date.now() / 1000), rar });
  return { auth_req_id: authReqId, result: 'approved', grant_id: grant.jti };
}

const normalizeUserCode = (s) => s.toUpperCase().replace(/\W/g, '');
const pendingDevice = new Map(); // normalized user_code -> {user_code, client_id, scope, device_code_id}

// `grantScope` (optional) grants less than was asked for, as a user without some API permission
// would get: the API scopes granted are those asked for AND in it.
async function settleDevice(userCode, approve, accountId = DEFAULT_ACCOUNT, grantScope = undefined) {
  if (!userCode) userCode = [...pendingDevice.keys()].pop();
  if (!userCode) throw Object.assign(new Error('no pending device code'), { status: 404 });
  const code = await provider.DeviceCode.findByUserCode(normalizeUserCode(userCode), { ignoreExpiration: true });
  if (!code) throw Object.assign(new Error('unknown user_code'), { status: 404 });
  pendingDevice.delete(normalizeUserCode(userCode));
  if (!approve) {
    Object.assign(code, { error: 'access_denied', errorDescription: 'End-User aborted interaction' });
    await code.save();
    return { user_code: userCode, result: 'denied' };
  }
  const scope = code.params.scope || 'openid';
  const grant = new provider.Grant({ clientId: code.clientId, accountId });
  grant.addOIDCScope(scope);
  // What the browser leg would settle: the one API the login named.
  const resource = code.params.resource || code.params.audience;
  if (resource) {
    code.resource = resource;
    const allowed = new Set((grantScope ?? API_SCOPES).split(' '));
    const apiScopes = scope.split(' ').filter((s) => API_SCOPES.split(' ').includes(s) && allowed.has(s));
    grant.addResourceScope(resource, apiScopes.join(' '));
  }
  await grant.save();
  grantAudience.set(grant.jti, code.params.audience);
  Object.assign(code, {
    accountId, grantId: grant.jti, scope, authTime: Math.floor(Date.now() / 1000), amr: ['pwd'],
  });
  await code.save();
  return { user_code: userCode, result: 'approved', account_id: accountId };
}

// Auth0 Token Vault shaped exchange: Auth0 refresh (or access) token -> Google access token.
// An access-token subject (Auth0's "access token exchange") is accepted only from the client
// linked to the token's audience (the Custom API Client of that API), whoever the token was
// issued to; a refresh-token subject only from the client it was issued to.
async function federatedExchange(ctx) {
  const { params, client } = ctx.oidc;
  for (const p of ['subject_token', 'connection']) {
    if (!params[p]) throw new errors.InvalidRequest(`missing required parameter '${p}'`);
  }
  if (client.clientAuthMethod === 'none') {
    throw new errors.UnauthorizedClient('token exchange requires a confidential client');
  }
  const stt = params.subject_token_type || TT_REFRESH;
  if (params.requested_token_type && params.requested_token_type !== FED_TOKEN_TYPE
      && ctx.oidc.params.grant_type === FED_GRANT) {
    throw new errors.InvalidRequest('unsupported requested_token_type');
  }
  let subject;
  let audience;
  if (stt === TT_REFRESH) subject = await provider.RefreshToken.find(params.subject_token);
  else if (stt === TT_ACCESS && params.subject_token.split('.').length === 3) {
    // A JWT access token (a login for an API): its own signature, issuer, expiry and audience.
    const claims = verifyJwtAccessToken(params.subject_token);
    if (claims) {
      subject = { isValid: true, accountId: claims.sub, clientId: claims.client_id ?? claims.azp, gty: 'jwt' };
      audience = claims.aud;
    }
  } else if (stt === TT_ACCESS) subject = await provider.AccessToken.find(params.subject_token);
  else throw new errors.InvalidRequest('unsupported subject_token_type');
  if (!subject || !subject.isValid) throw new errors.InvalidGrant('subject_token is invalid, expired or revoked');
  if (subject.grantId) audience = grantAudience.get(subject.grantId);
  if (stt === TT_ACCESS) {
    if (!audience || audience !== client.resource_server_identifier) {
      const e = new errors.UnauthorizedClient(`client ${client.clientId} is not the Custom API Client of the token's audience (${audience ?? 'none'})`);
      e.status = 403; e.statusCode = 403;
      throw e;
    }
  } else if (subject.clientId !== client.clientId) {
    throw new errors.InvalidGrant('subject_token was issued to another client');
  }
  if (params.connection !== 'google-oauth2') {
    throw new errors.InvalidRequest(`connection '${params.connection}' is not enabled for Token Vault`);
  }
  const scope = federatedScopeOverride || FEDERATED_SCOPE; // never narrowed by params.scope
  const accessToken = FEDERATED_ACCESS_TOKEN || `ya29.test-${crypto.randomBytes(24).toString('base64url')}`;
  const jti = crypto.randomUUID();
  federatedTokens.push({
    access_token: accessToken, sub: subject.accountId, connection: params.connection, scope,
    requested_scope: params.scope, subject_token_type: stt, subject_client_id: subject.clientId,
    subject_grant_type: subject.gty, subject_audience: audience, client_id: client.clientId, jti,
    subject_token_sha256: crypto.createHash('sha256').update(params.subject_token).digest('hex'),
    t_ms: Date.now() - t0ms, expires_at: Math.floor(Date.now() / 1000) + 3599,
  });
  ctx.body = {
    access_token: accessToken,
    issued_token_type: FED_TOKEN_TYPE,
    token_type: 'Bearer',
    expires_in: 3599,
    scope,
    jti,
  };
}
const exchangeParams = ['subject_token', 'subject_token_type', 'requested_token_type', 'connection',
  'login_hint', 'audience', 'resource', 'scope', 'actor_token', 'actor_token_type'];
provider.registerGrantType(FED_GRANT, federatedExchange, exchangeParams, []);
provider.registerGrantType(RFC8693_GRANT, federatedExchange, exchangeParams, ['audience', 'resource']);

// ---- helpers for the /_test routes

// A JWT access token as Auth0 issues for an API audience (RS256, the tenant's key and kid, iss
// with the trailing slash, aud, sub, scope, iat/exp), for the gate's verifier tests:
// {sub, aud, scope, expires_in (s, may be negative), nbf_in (s)}.
function mintAccessToken(body) {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claims = {
    iss: provider.issuer, sub: body.sub || DEFAULT_ACCOUNT, aud: body.aud || API_AUDIENCE,
    iat: now, exp: now + Number(body.expires_in ?? 3600), scope: body.scope ?? '',
    azp: 'cli-public', jti: crypto.randomUUID(),
  };
  if (body.nbf_in !== undefined) claims.nbf = now + Number(body.nbf_in);
  const input = `${b64({ alg: 'RS256', typ: 'at+jwt', kid: jwk.kid })}.${b64(claims)}`;
  const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  const token = `${input}.${crypto.sign('sha256', Buffer.from(input), key).toString('base64url')}`;
  issuedTokens.push(token);
  return token;
}
// The claims of a JWT access token this tenant signed and that has not expired, else undefined.
function verifyJwtAccessToken(token) {
  const [h, p, sig] = token.split('.');
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url'));
    const claims = JSON.parse(Buffer.from(p, 'base64url'));
    const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
    const ok = header.alg === 'RS256' && header.kid === jwk.kid
      && crypto.verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(sig, 'base64url'));
    const now = Math.floor(Date.now() / 1000);
    return ok && claims.iss === provider.issuer && claims.exp > now ? claims : undefined;
  } catch {
    return undefined;
  }
}
async function readBody(ctx) {
  const chunks = [];
  for await (const c of ctx.req) chunks.push(c);
  const raw = Buffer.concat(chunks).toString('utf8');
  if (!raw) return {};
  if ((ctx.get('content-type') || '').includes('json')) return JSON.parse(raw);
  return Object.fromEntries(new URLSearchParams(raw));
}

provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/_test/')) {
    try {
      const body = ctx.method === 'POST' ? await readBody(ctx) : {};
      const route = `${ctx.method} ${ctx.path}`;
      const findCiba = () => body.auth_req_id
        || [...pendingCiba.values()].reverse().find((p) => (!body.binding_message || p.binding_message === body.binding_message)
          && (!body.account_id || p.account_id === body.account_id))?.auth_req_id;
      switch (route) {
        case 'GET /_test/ciba/pending': ctx.body = [...pendingCiba.values()]; break;
        case 'GET /_test/ciba/requests': ctx.body = cibaRequests; break;
        case 'POST /_test/ciba/approve': ctx.body = await settleCiba(findCiba(), true); break;
        case 'POST /_test/ciba/deny': ctx.body = await settleCiba(findCiba(), false); break;
        case 'GET /_test/device/pending': ctx.body = [...pendingDevice.values()]; break;
        case 'POST /_test/device/approve': ctx.body = await settleDevice(body.user_code, true, body.account_id, body.scope); break;
        case 'POST /_test/device/deny': ctx.body = await settleDevice(body.user_code, false); break;
        case 'POST /_test/slow_down': forcedSlowDowns = Number(body.count ?? 1); ctx.body = { forced: forcedSlowDowns }; break;
        case 'POST /_test/drop': forcedDrops = Number(body.count ?? 1); ctx.body = { forced: forcedDrops }; break;
        case 'POST /_test/federated_scope': federatedScopeOverride = body.scope || ''; ctx.body = { scope: federatedScopeOverride }; break;
        case 'GET /_test/federated_tokens': ctx.body = federatedTokens; break;
        case 'GET /_test/log': ctx.body = tokenLog; break;
        case 'GET /_test/revocations': ctx.body = revocations; break;
        case 'GET /_test/assertions': ctx.body = assertions; break;
        case 'GET /_test/issued_tokens': ctx.body = issuedTokens; break;
        case 'POST /_test/access_token': ctx.body = { access_token: mintAccessToken(body) }; break;
        default: ctx.status = 404; ctx.body = { error: 'no such test route' };
      }
    } catch (e) {
      ctx.status = e.status || 500; ctx.body = { error: e.message };
    }
    return;
  }

  if (TOKEN_DELAY_MS && ctx.method === 'POST' && ctx.path === '/oauth/token') {
    await new Promise((resolve) => setTimeout(resolve, TOKEN_DELAY_MS));
  }
  if (forcedDrops > 0 && ctx.method === 'POST' && ctx.path === '/oauth/token') {
    // Simulated network loss: close the connection without an answer.
    forcedDrops -= 1;
    ctx.req.socket.destroy();
    return;
  }

  await next();

  const route = ctx.oidc?.route;
  if (route === 'device_authorization' && ctx.status === 200) {
    ctx.body.interval = INTERVAL; // oidc-provider omits it (RFC 8628 default 5); Auth0 sends it
    pendingDevice.set(normalizeUserCode(ctx.body.user_code), {
      user_code: ctx.body.user_code, client_id: ctx.oidc.client.clientId, scope: ctx.oidc.params.scope,
    });
    if (DEVICE_AUTO) {
      const uc = ctx.body.user_code;
      setTimeout(() => settleDevice(uc, DEVICE_AUTO === 'approve').catch(console.error), AUTO_DELAY_MS);
    }
  }
  if (route === 'backchannel_authentication' && ctx.status === 200) {
    ctx.body.interval = INTERVAL; // CIBA 7.3 optional, default 5
  }
  if (route === 'backchannel_authentication' && ctx.body?.error === 'invalid_request'
      && /is not allowed for this client/.test(ctx.body.error_description)) {
    ctx.status = 400; // CIBA Core 13: a client without the CIBA grant is unauthorized_client
    ctx.body = { error: 'unauthorized_client', error_description: 'the client does not have the CIBA grant' };
  }
  if (route === 'token') {
    const p = ctx.oidc.params || {};
    const key = p.device_code || p.auth_req_id;
    // oidc-provider never emits slow_down itself: emulate RFC 8628 3.5 / CIBA 11 here.
    if (key && ctx.body?.error === 'authorization_pending') {
      const now = Date.now();
      const st = pollState.get(key) || { last: 0, interval: INTERVAL };
      const early = ENFORCE_INTERVAL && st.last && now - st.last < st.interval * 1000;
      st.last = now;
      if (forcedSlowDowns > 0 || early) {
        if (forcedSlowDowns > 0) forcedSlowDowns -= 1;
        st.interval += SLOW_DOWN_STEP;
        ctx.body = { error: 'slow_down', error_description: `polling too fast; interval is now ${st.interval}s` };
      }
      pollState.set(key, st);
    }
    // A JWT access token is not stored by the provider: record its value for leak checks. Its
    // response names every scope granted, the login's and the API's, as Auth0's does
    // (oidc-provider would name the API's alone).
    if (typeof ctx.body?.access_token === 'string' && ctx.body.access_token.split('.').length === 3) {
      issuedTokens.push({ kind: 'access_token', gty: p.grant_type, value: ctx.body.access_token });
      const source = ctx.oidc.entities.DeviceCode || ctx.oidc.entities.RefreshToken;
      const login = (source?.scope || '').split(' ').filter((s) => configuration.scopes.includes(s));
      ctx.body.scope = [...login, ...(ctx.body.scope || '').split(' ').filter(Boolean)].join(' ');
    }
    tokenLog.push({
      t_ms: Date.now() - t0ms, grant_type: p.grant_type, client_id: ctx.oidc.client?.clientId,
      status: ctx.status, error: ctx.body?.error,
    });
  }
  if (route === 'revocation') {
    revocations.push({ client_id: ctx.oidc.client?.clientId, status: ctx.status, params: Object.keys(ctx.oidc.body || {}).sort() });
  }
});

// oidc-provider hides invalid_grant details from clients ("grant request is invalid");
// the real reason is in err.error_detail: print it for test debugging.
for (const ev of ['grant.error', 'backchannel_authentication.error', 'device_authorization.error', 'server_error']) {
  provider.on(ev, (ctx, err) => err.error !== 'authorization_pending' && console.error(`[${ev}] ${err.error || err.message}: ${err.error_detail || err.error_description || ''}`));
}
// Opaque tokens are their own jti: record them (and the minted Google tokens) for leak checks.
for (const ev of ['access_token.saved', 'access_token.issued', 'refresh_token.saved']) {
  provider.on(ev, (token) => {
    if (!issuedTokens.some((t) => t.value === token.jti)) {
      issuedTokens.push({ kind: ev.split('.')[0], gty: token.gty, value: token.jti });
    }
  });
}
server.on('request', provider.callback());
console.log(`READY ${JSON.stringify({ issuer: provider.issuer, base_url: BASE_URL, port, startup_ms: Math.round(performance.now() - t0) })}`);
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));

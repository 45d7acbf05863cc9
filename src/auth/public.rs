//! The public Native application as an `oauth2` crate client: device authorization, token
//! (device code and refresh grants) and revocation endpoints at Auth0's paths.

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    ClientId, DeviceAuthorizationUrl, EndpointNotSet, EndpointSet, ExtraTokenFields, RevocationUrl,
    StandardRevocableToken, StandardTokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

use super::Tenant;
use crate::error::{Error, Result};

/// The scopes of a login: identity, e-mail, and a refresh token.
pub const LOGIN_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// Auth0 returns an ID token next to the access token when `openid` was granted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

pub type TokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;

pub type PublicClient = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointSet,
    EndpointNotSet,
    EndpointSet,
    EndpointSet,
>;

/// The public client for the tenant (no secret: Auth0's device flow forbids confidential clients).
pub fn client(tenant: &Tenant) -> Result<PublicClient> {
    let url = |path: &str| tenant.url(path);
    let bad = |e: oauth2::url::ParseError| {
        Error::input(format!("the Auth0 domain gives no valid URL: {e}"))
    };
    Ok(oauth2::Client::new(ClientId::new(tenant.client_id.clone()))
        .set_device_authorization_url(
            DeviceAuthorizationUrl::new(url("/oauth/device/code")).map_err(bad)?,
        )
        .set_token_uri(TokenUrl::new(url("/oauth/token")).map_err(bad)?)
        .set_revocation_url(RevocationUrl::new(url("/oauth/revoke")).map_err(bad)?)
        .set_auth_type(oauth2::AuthType::RequestBody))
}

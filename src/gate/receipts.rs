//! The receipt routes (scope `changeset:audit`): `GET /v1/receipts/{id}` and
//! `GET /v1/receipts?after=R-…`, the gate's signed receipts as its audit store holds them.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::api::{ReceiptPage, ReceiptQuery};
use super::applies::{error_reply, reply};
use super::runner::{body_of, with_store};
use super::server::Gate;
use super::token::SCOPE_AUDIT;
use crate::audit::AuditStore;
use crate::error::{Error, Kind, Result};
use crate::receipt::Receipt;

/// Receipts per page of `GET /v1/receipts`.
const PAGE: usize = 100;

/// `GET /v1/receipts/{id}`: one signed receipt (by receipt id, plan id, or a unique prefix).
pub async fn receipt(
    State(gate): State<Arc<Gate>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    audit_read(&gate, "/v1/receipts/{id}", &headers, move |store| {
        Ok(serde_json::from_str::<Receipt>(&store.find(&id)?)?)
    })
    .await
}

/// `GET /v1/receipts?after=R-…`: receipts in chain order, a page at a time.
pub async fn receipts(
    State(gate): State<Arc<Gate>>,
    Query(q): Query<ReceiptQuery>,
    headers: HeaderMap,
) -> Response {
    audit_read(&gate, "/v1/receipts", &headers, move |store| {
        page(store, q.after.as_deref())
    })
    .await
}

fn page(store: &mut dyn AuditStore, after: Option<&str>) -> Result<ReceiptPage> {
    let rows = store.receipts()?;
    let start = match after {
        None => 0,
        Some(after) => match rows.iter().position(|r| r.id == after) {
            Some(i) => i + 1,
            None => {
                return Err(Error::input(format!(
                    "no receipt {} at this gate",
                    crate::escape::escape(after)
                )));
            }
        },
    };
    let receipts: Vec<Receipt> = rows[start..]
        .iter()
        .take(PAGE)
        .map(|r| serde_json::from_str(&r.body))
        .collect::<std::result::Result<_, _>>()?;
    let next_after = (start + receipts.len() < rows.len())
        .then(|| receipts.last().map(|r| r.id.clone()))
        .flatten();
    Ok(ReceiptPage {
        receipts,
        next_after,
    })
}

/// Checks the audit scope, reads the store off the async threads and answers with the JSON
/// (404 for a receipt the store does not hold).
async fn audit_read<T: Serialize + Send + 'static>(
    gate: &Arc<Gate>,
    route: &'static str,
    headers: &HeaderMap,
    read: impl FnOnce(&mut dyn AuditStore) -> Result<T> + Send + 'static,
) -> Response {
    if let Err(refused) = gate.authorize(route, headers, SCOPE_AUDIT).await {
        return refused;
    }
    let answer = match with_store(gate, move |_, store| read(store)).await {
        Ok(value) => axum::Json(value).into_response(),
        Err(e) if e.kind == Kind::Input => reply(StatusCode::NOT_FOUND, body_of("not_found", &e)),
        Err(e) => error_reply(&e),
    };
    gate.count(route, answer.status());
    answer
}

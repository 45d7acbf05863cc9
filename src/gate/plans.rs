//! `POST /v1/plans {request, source?}`: the gate reads an allowed source with its own reader
//! token (or the CSV file) and plans the request under its own rules. The answer is the plan in
//! the plan file's format, ready for `POST /v1/applies`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::api::{ErrorBody, PlanRequest};
use super::applies::{error_reply, reply};
use super::runner::with_store;
use super::server::Gate;
use super::token::SCOPE_PLAN;
use super::{pipeline, sources};
use crate::plan::{Parser, Scoring};
use crate::policy::ApprovalMethod;

pub async fn create(State(gate): State<Arc<Gate>>, headers: HeaderMap, body: Bytes) -> Response {
    const ROUTE: &str = "/v1/plans";
    let requester = match gate.authorize(ROUTE, &headers, SCOPE_PLAN).await {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    let answer = plan(&gate, requester.sub, &body).await;
    gate.count(ROUTE, answer.status());
    answer
}

async fn plan(gate: &Arc<Gate>, sub: String, body: &[u8]) -> Response {
    let asked: PlanRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => {
            return reply(
                StatusCode::BAD_REQUEST,
                ErrorBody::new(
                    "invalid_request",
                    format!("the body is not {{\"request\": TEXT, \"source\"?: SOURCE}}: {e}"),
                ),
            );
        }
    };
    let spec = match &asked.source {
        Some(text) => sources::allowed_text(&gate.config, text),
        None => sources::first_allowed(&gate.config),
    };
    let spec = match spec {
        Ok(spec) => spec,
        Err(not) => {
            return reply(
                StatusCode::FORBIDDEN,
                ErrorBody::new("source_not_allowed", not.0),
            );
        }
    };
    let made = with_store(gate, move |gate, store| {
        let config = &gate.config;
        let mut source = sources::open(config, &spec, None)?;
        let approvers = pipeline::approvers_of(config, &sub);
        let scoring = Scoring {
            rules: &config.rules,
            circumstances: pipeline::circumstances(store, &approvers)?,
            method: ApprovalMethod::Ciba,
            now: crate::clock::now()?,
        };
        let (plan, _) =
            crate::plan::make(&asked.request, Parser::Grammar, source.as_mut(), scoring)?;
        Ok(plan)
    })
    .await;
    match made {
        Ok(plan) => axum::Json(plan).into_response(),
        Err(e) => error_reply(&e),
    }
}

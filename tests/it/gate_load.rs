//! The gate under concurrent load: many `POST /v1/plans` on a large CSV catalog at once, then
//! many applies of an auto-approved tier at once, each POSTed twice (a client retry racing the
//! first try). Every request must be answered, every plan applied exactly once: the catalog ends
//! with exactly the planned changes and the store with one receipt per plan.
//!
//! Sizes: GATE_LOAD_ROWS, GATE_LOAD_PLANS, GATE_LOAD_APPLIES. CI runs 10,000 rows, 50 plans and
//! 20 applies (a debug build on 2 cores); scripts/bench-gate.sh runs the same test at the
//! issue's full size (200 plans, 50 applies) on a release build and prints the figures in
//! BENCHMARKS.md.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::gate::service::{self, GateProcess};
use crate::idp::{AUDIENCE, CIBA_CLIENT, Idp, USER, VAULT_CLIENT};
use crate::support::TestEnv;

fn size(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Scopes of a requester that plans, applies and reads receipts.
pub const ALL_SCOPES: &str = "changeset:plan changeset:apply changeset:audit";

/// gate.toml for the test IdP's CIBA and Token Vault clients, then `edit`ed.
pub fn gate_config(env: &TestEnv, idp: &Idp, edit: impl Fn(String) -> String) -> PathBuf {
    let config = service::config_for(env, idp);
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("gate-ciba", CIBA_CLIENT)
        .replace("gate-api-client", VAULT_CLIENT);
    std::fs::write(&config, edit(text)).unwrap();
    config
}

/// gate.toml edit: rules that auto-approve up to `tier` (pinned), with no policy for tier 2.
pub fn auto_approving(env: &TestEnv, tier: u8) -> impl Fn(String) -> String {
    let rules = env.rules_with_auto_approve(tier);
    let sha = changeset::digest::sha256_prefixed(&std::fs::read(&rules).unwrap());
    let default_sha =
        changeset::digest::sha256_prefixed(changeset::policy::DEFAULT_RULES.as_bytes());
    move |text: String| {
        text.replace(
            "path = \"rules.toml\"",
            &format!("path = {:?}", rules.display().to_string()),
        )
        .replace(&default_sha, &sha)
        .replace("[tiers.2]\napprovers = [\"requester\"]\n", "")
        .replace("[notify]\nrecipients = [\"merch@example.com\"]\n", "")
    }
}

/// A JWT access token for the gate's API, as the test IdP's tenant signs them.
pub fn access_token(idp: &Idp, sub: &str) -> String {
    let (_, v) = idp.post(
        "/_test/access_token",
        json!({"sub": sub, "aud": AUDIENCE, "scope": ALL_SCOPES}),
    );
    v["access_token"].as_str().unwrap().to_string()
}

/// A gate on a generated catalog whose rules auto-approve tier 2 (single-record writes),
/// served over HTTPS as in production (so the load goes through the TLS accept path too).
pub struct LoadGate {
    pub _idp: Idp,
    pub env: TestEnv,
    pub _gate: GateProcess,
    pub at: Endpoint,
}

impl LoadGate {
    pub fn start(rows: usize) -> LoadGate {
        let idp = Idp::start();
        let env = TestEnv::new();
        crate::scale::generate(&env, rows);
        let config = gate_config(&env, &idp, auto_approving(&env, 2));
        let (cert, key) = crate::gate_ops::self_signed(env.path(), "tls");
        let gate = service::start_with(
            &env,
            &config,
            &[
                "--listen",
                "127.0.0.1:0",
                "--tls-cert",
                cert.to_str().unwrap(),
                "--tls-key",
                key.to_str().unwrap(),
            ],
        );
        let at = Endpoint {
            url: gate.url.clone(),
            token: access_token(&idp, USER),
            ca: Some(cert),
        };
        LoadGate {
            _idp: idp,
            env,
            _gate: gate,
            at,
        }
    }
}

/// One answered request: status, body, how long it took.
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub elapsed: Duration,
}

/// Where a test reaches a gate: its URL, the requester's access token, and the certificate it
/// trusts (None: plain HTTP).
pub struct Endpoint {
    pub url: String,
    pub token: String,
    pub ca: Option<PathBuf>,
}

impl Endpoint {
    /// Sends every (method, path, body) at once; answers in the same order, and the wall time.
    pub fn concurrently(
        &self,
        requests: Vec<(&'static str, String, Option<Value>)>,
    ) -> (Vec<Answer>, Duration) {
        let mut client = reqwest::Client::builder().timeout(Duration::from_secs(300));
        if let Some(ca) = &self.ca {
            let pem = std::fs::read(ca).unwrap();
            client = client.tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()]);
        }
        changeset::net::block_on(async {
            let client = client.build().unwrap();
            let mut tasks = tokio::task::JoinSet::new();
            let started = Instant::now();
            for (i, (method, path, body)) in requests.into_iter().enumerate() {
                let url = format!("{}{path}", self.url);
                let mut req = match method {
                    "POST" => client.post(&url),
                    _ => client.get(&url),
                }
                .bearer_auth(&self.token);
                if let Some(body) = body {
                    req = req.json(&body);
                }
                tasks.spawn(async move {
                    let t = Instant::now();
                    let r = req
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
                    let status = r.status().as_u16();
                    let body = r.json::<Value>().await.unwrap_or(Value::Null);
                    let elapsed = t.elapsed();
                    (
                        i,
                        Answer {
                            status,
                            body,
                            elapsed,
                        },
                    )
                });
            }
            let mut answers: Vec<(usize, Answer)> = tasks.join_all().await;
            let wall = started.elapsed();
            answers.sort_by_key(|(i, _)| *i);
            (answers.into_iter().map(|(_, a)| a).collect(), wall)
        })
    }

    /// One request.
    pub fn call(&self, method: &'static str, path: &str, body: Option<Value>) -> Answer {
        let (mut answers, _) = self.concurrently(vec![(method, path.to_string(), body)]);
        answers.remove(0)
    }

    /// Long-polls an apply until it is final; its last view.
    pub fn settle(&self, id: &str) -> Value {
        let started = Instant::now();
        loop {
            let a = self.call("GET", &format!("/v1/applies/{id}?wait=30"), None);
            assert_eq!(a.status, 200, "{}", a.body);
            if !matches!(
                a.body["status"].as_str(),
                Some("pending_approval" | "approved")
            ) {
                return a.body;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "not settled: {}",
                a.body
            );
        }
    }

    /// Every receipt in the gate's store, through the pages of `GET /v1/receipts`.
    pub fn receipts(&self) -> Vec<Value> {
        let mut all: Vec<Value> = Vec::new();
        let mut path = "/v1/receipts".to_string();
        loop {
            let page = self.call("GET", &path, None);
            assert_eq!(page.status, 200, "{}", page.body);
            all.extend(
                page.body["receipts"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            );
            match page.body["next_after"].as_str() {
                Some(after) => path = format!("/v1/receipts?after={after}"),
                None => return all,
            }
        }
    }
}

/// Throughput and latency percentiles (nearest rank) of a batch, as JSON for the bench.
pub fn figures(what: &str, answers: &[Answer], wall: Duration) -> Value {
    let mut ms: Vec<f64> = answers
        .iter()
        .map(|a| a.elapsed.as_secs_f64() * 1000.0)
        .collect();
    ms.sort_by(f64::total_cmp);
    let rank = |p: f64| ms[((p * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1];
    let round = |x: f64| (x * 10.0).round() / 10.0;
    json!({
        "what": what,
        "requests": answers.len(),
        "wall_s": round(wall.as_secs_f64()),
        "per_s": round(answers.len() as f64 / wall.as_secs_f64()),
        "p50_ms": round(rank(0.50)),
        "p99_ms": round(rank(0.99)),
        "max_ms": round(rank(1.0)),
    })
}

fn sku(i: usize) -> String {
    format!("BIG-{i:07}")
}

/// `POST /v1/plans` for each product at once; the plans, in order.
fn plan_all(load: &LoadGate, products: &[usize]) -> (Vec<Answer>, Duration) {
    let source = load.env.catalog().display().to_string();
    let requests = products
        .iter()
        .map(|&i| {
            let body = json!({"request": format!("put {} on 20% off", sku(i)), "source": source});
            ("POST", "/v1/plans".to_string(), Some(body))
        })
        .collect();
    let (planned, wall) = load.at.concurrently(requests);
    for (i, a) in products.iter().zip(&planned) {
        assert_eq!(a.status, 200, "plan of {}: {}", sku(*i), a.body);
        assert_eq!(a.body["tier"], 2, "{}", a.body);
    }
    (planned, wall)
}

/// POSTs every plan to /v1/applies twice at once (a retry racing the first try: both must get
/// the same apply, or both `stale`), then long-polls them all until final; the final views, in
/// order (`{"status": "stale"}` for a plan refused as stale at the POST).
fn apply_all(load: &LoadGate, plans: &[&Value]) -> (Vec<Answer>, Duration, Vec<Value>) {
    let requests = plans
        .iter()
        .flat_map(|plan| {
            let body = json!({ "plan": plan });
            [
                ("POST", "/v1/applies".to_string(), Some(body.clone())),
                ("POST", "/v1/applies".to_string(), Some(body)),
            ]
        })
        .collect();
    let (posted, wall) = load.at.concurrently(requests);
    // Per plan: its apply, or None when the gate already found the plan stale at the POST.
    let mut ids: Vec<Option<String>> = Vec::new();
    for pair in posted.chunks(2) {
        let stale = |a: &Answer| a.status == 409 && a.body["error"] == "stale";
        if stale(&pair[0]) && stale(&pair[1]) {
            ids.push(None);
            continue;
        }
        for a in pair {
            assert!(matches!(a.status, 200 | 202), "{}: {}", a.status, a.body);
        }
        assert_eq!(
            pair[0].body["id"], pair[1].body["id"],
            "a retry is the same apply"
        );
        ids.push(pair[0].body["id"].as_str().map(str::to_string));
    }
    let mut last: Vec<Value> = vec![json!({"status": "stale"}); ids.len()];
    let mut open: Vec<usize> = (0..ids.len()).filter(|&i| ids[i].is_some()).collect();
    let started = Instant::now();
    while !open.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "still open: {open:?}"
        );
        let requests = open
            .iter()
            .map(|&i| {
                let id = ids[i].as_deref().unwrap_or_default();
                ("GET", format!("/v1/applies/{id}?wait=30"), None)
            })
            .collect();
        let (answers, _) = load.at.concurrently(requests);
        let mut still = Vec::new();
        for (&i, a) in open.iter().zip(answers) {
            assert_eq!(a.status, 200, "{}", a.body);
            if matches!(
                a.body["status"].as_str(),
                Some("pending_approval" | "approved")
            ) {
                still.push(i);
            }
            last[i] = a.body;
        }
        open = still;
    }
    (posted, wall, last)
}

#[test]
fn concurrent_plans_and_applies_are_all_answered_and_each_written_once() {
    let rows = size("GATE_LOAD_ROWS", 10_000);
    let plans = size("GATE_LOAD_PLANS", 50);
    let applies = size("GATE_LOAD_APPLIES", 20).min(plans);
    let load = LoadGate::start(rows);
    let before = load.env.catalog_text();

    // Every plan at once, each for another product.
    let (planned, wall) = plan_all(&load, &(1..=plans).collect::<Vec<_>>());
    let plan_figures = figures("POST /v1/plans", &planned, wall);

    // The first `applies` plans applied at once. A plan is made against the whole catalog, so
    // an apply that finds other rows written since is `stale` (nothing written); as a client
    // would, those are planned again and applied again, until every one is written.
    let started = Instant::now();
    let mut waiting: Vec<usize> = (1..=applies).collect();
    let mut plans_now: Vec<Value> = planned[..applies].iter().map(|a| a.body.clone()).collect();
    let (mut apply_figures, mut rounds, mut stale_first) = (Value::Null, 0, 0);
    while !waiting.is_empty() {
        rounds += 1;
        assert!(rounds <= applies, "more rounds than applies");
        let (posted, wall, last) = apply_all(&load, &plans_now.iter().collect::<Vec<_>>());
        let mut stale = Vec::new();
        for (&product, view) in waiting.iter().zip(&last) {
            match view["status"].as_str() {
                Some("applied") => {}
                Some("stale") => stale.push(product),
                _ => panic!("the apply of {} ended: {view}", sku(product)),
            }
        }
        assert!(
            stale.len() < waiting.len(),
            "round {rounds}: every apply was stale"
        );
        if rounds == 1 {
            apply_figures = figures("POST /v1/applies", &posted, wall);
            stale_first = stale.len();
        }
        if !stale.is_empty() {
            plans_now = plan_all(&load, &stale)
                .0
                .into_iter()
                .map(|a| a.body)
                .collect();
        }
        waiting = stale;
    }
    let applied_s = started.elapsed().as_secs_f64();

    // No lost or duplicate write: exactly the applied products changed, and one receipt per
    // product, each for another plan.
    let after = load.env.catalog_text();
    let changed: Vec<&str> = before
        .lines()
        .zip(after.lines())
        .filter(|(b, a)| b != a)
        .map(|(_, a)| a.split(',').next().unwrap())
        .collect();
    let expected: Vec<String> = (1..=applies).map(sku).collect();
    assert_eq!(changed, expected);
    assert_eq!(before.lines().count(), after.lines().count());
    let receipts = load.at.receipts();
    let mut plan_ids: Vec<&str> = receipts
        .iter()
        .map(|r| r["plan_id"].as_str().unwrap())
        .collect();
    plan_ids.sort_unstable();
    plan_ids.dedup();
    assert_eq!((receipts.len(), plan_ids.len()), (applies, applies));

    eprintln!(
        "gate-load {}",
        json!({"rows": rows, "plans": plan_figures, "applies": apply_figures,
               "stale_in_first_round": stale_first, "rounds": rounds,
               "all_applied_s": (applied_s * 10.0).round() / 10.0})
    );
}

//! A fake OpenAI-compatible chat-completions endpoint on loopback, for `--parser llm` tests.
//!
//! Just enough HTTP/1.1: one request per connection, `Connection: close`. Every request is
//! recorded (path, authorization header, JSON body); the test decides each answer, so it can
//! play a helpful model, a confused one or a malicious one.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use serde_json::{Value, json};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
}

type Answer = dyn Fn(&Value) -> (u16, Value) + Send + Sync;

pub struct FakeLlm {
    port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<Recorded>>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl FakeLlm {
    /// Starts the server; `answer` maps each request body to (status, JSON body).
    pub fn start(answer: impl Fn(&Value) -> (u16, Value) + Send + Sync + 'static) -> FakeLlm {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let answer: Arc<Answer> = Arc::new(answer);
        let thread = {
            let (stop, requests) = (stop.clone(), requests.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        serve(stream, &requests, answer.as_ref());
                    }
                }
            })
        };
        FakeLlm {
            port,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    /// A server that answers every request with these intents as the model's message.
    pub fn answering(intents: Value) -> FakeLlm {
        FakeLlm::start(move |_| (200, completion(&json!({ "intents": intents }).to_string())))
    }

    /// The base URL to put in CHANGESET_LLM_URL (with a `/v1` prefix, as providers have).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A chat-completions answer whose message content is `content`.
pub fn completion(content: &str) -> Value {
    json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
    })
}

fn serve(stream: TcpStream, requests: &Mutex<Vec<Recorded>>, answer: &Answer) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut length = 0;
    let mut authorization = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim().to_string();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse().unwrap_or(0),
                "authorization" => authorization = Some(value),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (status, reply) = if method == "POST" && path == "/v1/chat/completions" {
        answer(&body)
    } else {
        (404, json!({"error": {"message": "not found"}}))
    };
    requests.lock().unwrap().push(Recorded {
        method,
        path,
        authorization,
        body,
    });
    let text = reply.to_string();
    let mut stream = reader.into_inner();
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
}

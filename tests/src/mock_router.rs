//! A loopback stand-in for the Hugging Face router and Hub, for tests and benchmarks.
//!
//! It is a small HTTP/1.1 server written directly on tokio sockets rather than a web framework,
//! because the faults it must produce live below what frameworks expose: a connection reset
//! before the headers, a body shorter than its `Content-Length`, a stream that stalls or drips,
//! a client disconnect to observe, an idle keep-alive connection closed under the client. Each
//! route answers with scripted one-shot replies (in order) and then its default reply; every
//! request is recorded (method, path, headers, body, and the client's port, which tells
//! connections apart). By default each connection carries one request; [`Connections`] turns on
//! keep-alive. [`hostile`] builds the answers of a hostile service: absurd numbers, endless
//! lines, pages that are not streams, escape sequences.

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::watch,
};

/// What the server does with a request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A complete response.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Waits, then replies.
    Delay(Duration, Box<Reply>),
    /// Sends headers declaring `declared` body bytes, sends `body` (fewer), then closes.
    Truncated {
        status: u16,
        declared: usize,
        body: Vec<u8>,
    },
    /// Reads the request and never answers (until the client goes away).
    Stall,
    /// Closes the connection without answering.
    Reset,
    /// Streams the request's last user message back, word by word, `gap` apart: each stream's
    /// answer identifies its request (for concurrency tests).
    EchoStream { gap: Duration },
    /// Chooses the reply by the request's bearer token; `otherwise` for any other token.
    ByToken {
        replies: Vec<(String, Reply)>,
        otherwise: Box<Reply>,
    },
    /// Sends headers and `prefix`, then `fill` bytes in `piece`-byte writes until `total` bytes
    /// are sent or the client goes away, then closes: a flood generated as it is sent (an
    /// endless line, say) without holding it in memory. Bounded by `total`, so it stops by
    /// itself.
    Flood {
        headers: Vec<(String, String)>,
        prefix: Vec<u8>,
        fill: u8,
        piece: usize,
        total: usize,
    },
    /// Sends headers, then each piece after its delay (a stream), then ends as `end` says.
    Stream {
        status: u16,
        headers: Vec<(String, String)>,
        pieces: Vec<(Duration, Vec<u8>)>,
        end: StreamEnd,
    },
}

/// What the server does with a connection after answering on it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Connections {
    /// Closes it (one request per connection; faults stay per request).
    #[default]
    CloseAfterReply,
    /// Keeps it open for the next request (streams are sent chunked); a connection idle for
    /// `idle_close` is closed by the server, as real servers do (`None`: never).
    KeepAlive { idle_close: Option<Duration> },
}

/// How a [`Reply::Stream`] ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamEnd {
    /// Closes the connection normally (the body ends).
    Close,
    /// Keeps the connection open without sending more.
    Stall,
    /// Resets the connection (a mid-stream disconnect).
    Reset,
}

impl Reply {
    /// `status` with a JSON body.
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self::Respond {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
        }
    }

    /// `status` with a plain-text body.
    pub fn text(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self::Respond {
            status,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: body.into(),
        }
    }

    /// `text` streamed as the router streams an answer: a role chunk, one chunk per word, a
    /// finish chunk and `[DONE]` (see [`chat_chunks`]), otherwise as [`Reply::sse`].
    pub fn words(provider: &str, text: &str, gap: Duration, end: StreamEnd) -> Self {
        let chunks = chat_chunks(text);
        let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
        Self::sse(provider, &refs, gap, end)
    }

    /// A server-sent-event stream of `events` (each a `data:` payload), sent `gap` apart, from
    /// upstream `provider` (the `x-inference-provider` header).
    pub fn sse(provider: &str, events: &[&str], gap: Duration, end: StreamEnd) -> Self {
        Self::Stream {
            status: 200,
            headers: vec![
                ("content-type".into(), "text/event-stream".into()),
                ("x-inference-provider".into(), provider.into()),
            ],
            pieces: events
                .iter()
                .map(|data| (gap, format!("data: {data}\n\n").into_bytes()))
                .collect(),
            end,
        }
    }

    /// A captured SSE body replayed in `piece`-byte pieces, from upstream `provider`.
    pub fn sse_bytes(provider: &str, body: &[u8], piece: usize) -> Self {
        Self::Stream {
            status: 200,
            headers: vec![
                ("content-type".into(), "text/event-stream".into()),
                ("x-inference-provider".into(), provider.into()),
            ],
            pieces: body
                .chunks(piece.max(1))
                .map(|chunk| (Duration::ZERO, chunk.to_vec()))
                .collect(),
            end: StreamEnd::Close,
        }
    }

    /// The same reply with an extra response header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        match &mut self {
            Self::Respond { headers, .. } | Self::Stream { headers, .. } => {
                headers.push((name.into(), value.into()))
            }
            Self::Delay(_, inner) => **inner = inner.as_ref().clone().with_header(name, value),
            _ => {}
        }
        self
    }
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
    /// The client's port: requests with the same port came over the same connection.
    pub client_port: u16,
}

impl Recorded {
    /// A header's value (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// Whether the request carried the sentinel token as its bearer credential.
    pub fn carries_the_sentinel_token(&self) -> bool {
        self.header("authorization") == Some(format!("Bearer {}", crate::SENTINEL_TOKEN).as_str())
    }

    /// Whether our plugin sent it: its User-Agent starts with `openclaw-huggingface/`.
    pub fn sent_by_our_plugin(&self) -> bool {
        self.header("user-agent")
            .is_some_and(|agent| agent.starts_with("openclaw-huggingface/"))
    }
}

/// When a client went away in the middle of a streamed reply, or from a stalled one.
#[derive(Clone, Debug)]
pub struct Disconnect {
    pub path: String,
    pub at: Instant,
    /// Stream pieces written before the disconnect was noticed.
    pub pieces_sent: usize,
}

#[derive(Default)]
struct Routes {
    scripted: HashMap<(String, String), VecDeque<Reply>>,
    defaults: HashMap<(String, String), Reply>,
    requests: Vec<Recorded>,
    disconnects: Vec<Disconnect>,
}

/// The running server; it stops when dropped.
pub struct MockRouter {
    addr: SocketAddr,
    routes: Arc<Mutex<Routes>>,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MockRouter {
    /// Starts a server on 127.0.0.1 with a free port, one request per connection.
    pub fn start() -> Self {
        Self::start_with(Connections::CloseAfterReply)
    }

    /// Starts a server that treats connections as `connections` says.
    pub fn start_with(connections: Connections) -> Self {
        let routes = Arc::new(Mutex::new(Routes::default()));
        let (stop, stopped) = watch::channel(false);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread_routes = routes.clone();
        let thread = std::thread::Builder::new()
            .name("mock-router".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("mock router runtime");
                runtime.block_on(serve(thread_routes, stopped, ready_tx, connections));
            })
            .expect("mock router thread");
        let addr = ready_rx.recv().expect("mock router address");
        Self {
            addr,
            routes,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>/v1` — what a base URL override points at.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.origin())
    }

    /// `http://127.0.0.1:<port>` — what `HF_ENDPOINT` points at.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The reply to every request to `method path` not answered by a scripted reply.
    pub fn on(&self, method: &str, path: &str, reply: Reply) -> &Self {
        self.lock()
            .defaults
            .insert((method.to_owned(), path.to_owned()), reply);
        self
    }

    /// A reply for the next request to `method path` only (queued in order).
    pub fn then(&self, method: &str, path: &str, reply: Reply) -> &Self {
        self.lock()
            .scripted
            .entry((method.to_owned(), path.to_owned()))
            .or_default()
            .push_back(reply);
        self
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// Requests to one path.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Client disconnects noticed during streamed replies.
    pub fn disconnects(&self) -> Vec<Disconnect> {
        self.lock().disconnects.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Routes> {
        self.routes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for MockRouter {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    routes: Arc<Mutex<Routes>>,
    mut stopped: watch::Receiver<bool>,
    ready: std::sync::mpsc::Sender<SocketAddr>,
    connections: Connections,
) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let _ = ready.send(listener.local_addr().expect("local addr"));
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            accepted = listener.accept() => {
                let Ok((socket, peer)) = accepted else { continue };
                let routes = routes.clone();
                let stopped = stopped.clone();
                tokio::spawn(async move {
                    let _ = socket.set_nodelay(true);
                    handle(socket, peer.port(), routes, stopped, connections).await;
                });
            }
        }
    }
}

/// Reads one request.
async fn read_request(socket: &mut TcpStream, client_port: u16) -> Option<Recorded> {
    let mut buffer = Vec::with_capacity(4096);
    let header_end = loop {
        let mut chunk = [0u8; 4096];
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > 1 << 20 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[header_end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = vec![0u8; (length - body.len()).min(1 << 16)];
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Some(Recorded {
        method,
        path,
        headers,
        body,
        at: Instant::now(),
        client_port,
    })
}

/// Serves the requests of one connection: one, or as many as come while keep-alive lasts.
async fn handle(
    mut socket: TcpStream,
    client_port: u16,
    routes: Arc<Mutex<Routes>>,
    stopped: watch::Receiver<bool>,
    connections: Connections,
) {
    let mut first = true;
    loop {
        let next = read_request(&mut socket, client_port);
        let request = match connections {
            Connections::KeepAlive {
                idle_close: Some(idle),
            } if !first => match tokio::time::timeout(idle, next).await {
                Ok(request) => request,
                Err(_) => {
                    // Idle too long: close it, as a server's keep-alive timeout does.
                    let _ = socket.shutdown().await;
                    return;
                }
            },
            _ => next.await,
        };
        let Some(request) = request else {
            return;
        };
        first = false;
        let keep_alive = matches!(connections, Connections::KeepAlive { .. });
        let reusable = respond(&mut socket, request, &routes, stopped.clone(), keep_alive).await;
        if !(keep_alive && reusable) {
            return;
        }
    }
}

/// Answers one request; true when the connection may carry another.
async fn respond(
    socket: &mut TcpStream,
    request: Recorded,
    routes: &Arc<Mutex<Routes>>,
    stopped: watch::Receiver<bool>,
    keep_alive: bool,
) -> bool {
    let key = (
        request.method.clone(),
        request
            .path
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned(),
    );
    let reply = {
        let mut routes = routes.lock().unwrap_or_else(|e| e.into_inner());
        routes.requests.push(request.clone());
        routes
            .scripted
            .get_mut(&key)
            .and_then(VecDeque::pop_front)
            .or_else(|| routes.defaults.get(&key).cloned())
            .unwrap_or_else(|| {
                Reply::json(
                    404,
                    format!(r#"{{"error":"no route for {} {}"}}"#, key.0, key.1),
                )
            })
    };
    let reply = match reply {
        Reply::ByToken { replies, otherwise } => {
            let token = request
                .header("authorization")
                .and_then(|value| value.strip_prefix("Bearer "))
                .unwrap_or_default();
            replies
                .into_iter()
                .find(|(known, _)| known == token)
                .map(|(_, reply)| reply)
                .unwrap_or(*otherwise)
        }
        other => other,
    };
    let reply = match reply {
        Reply::EchoStream { gap } => {
            let prompt = request.json()["messages"]
                .as_array()
                .and_then(|messages| messages.iter().rev().find(|m| m["role"] == "user"))
                .and_then(|m| m["content"].as_str())
                .unwrap_or_default()
                .to_owned();
            Reply::words("echo", &prompt, gap, StreamEnd::Close)
        }
        other => other,
    };
    answer(socket, reply, &request.path, routes, stopped, keep_alive).await
}

/// How a response's body is delimited.
enum Framing {
    /// `content-length`.
    Length(usize),
    /// The end of the connection.
    Close,
    /// `transfer-encoding: chunked` (a stream on a kept-alive connection).
    Chunked,
}

fn head(status: u16, headers: &[(String, String)], framing: Framing, keep_alive: bool) -> Vec<u8> {
    let mut text = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    match framing {
        Framing::Length(length) => text.push_str(&format!("content-length: {length}\r\n")),
        Framing::Chunked => text.push_str("transfer-encoding: chunked\r\n"),
        Framing::Close => {}
    }
    if !keep_alive {
        text.push_str("connection: close\r\n");
    }
    text.push_str("\r\n");
    text.into_bytes()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Sends a reply; true when the connection may carry another request.
async fn answer(
    socket: &mut TcpStream,
    reply: Reply,
    path: &str,
    routes: &Arc<Mutex<Routes>>,
    mut stopped: watch::Receiver<bool>,
    keep_alive: bool,
) -> bool {
    match reply {
        Reply::Respond {
            status,
            headers,
            body,
        } => {
            let mut bytes = head(status, &headers, Framing::Length(body.len()), keep_alive);
            bytes.extend_from_slice(&body);
            let written = socket.write_all(&bytes).await.is_ok();
            if !keep_alive {
                let _ = socket.shutdown().await;
            }
            written
        }
        Reply::Delay(delay, inner) => {
            tokio::time::sleep(delay).await;
            Box::pin(answer(socket, *inner, path, routes, stopped, keep_alive)).await
        }
        Reply::Truncated {
            status,
            declared,
            body,
        } => {
            let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
            let mut bytes = head(status, &headers, Framing::Length(declared), false);
            bytes.extend_from_slice(&body);
            let _ = socket.write_all(&bytes).await;
            let _ = socket.shutdown().await;
            false
        }
        Reply::Stall => {
            wait_for_client_to_leave(socket, &mut stopped).await;
            if !*stopped.borrow() {
                routes
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .disconnects
                    .push(Disconnect {
                        path: path.to_owned(),
                        at: Instant::now(),
                        pieces_sent: 0,
                    });
            }
            false
        }
        Reply::EchoStream { .. } | Reply::ByToken { .. } => {
            unreachable!("resolved before answering")
        }
        Reply::Flood {
            headers,
            prefix,
            fill,
            piece,
            total,
        } => {
            let mut start = head(200, &headers, Framing::Close, false);
            start.extend_from_slice(&prefix);
            if socket.write_all(&start).await.is_err() {
                return false;
            }
            let block = vec![fill; piece.max(1)];
            let mut sent = 0;
            while sent < total {
                let size = block.len().min(total - sent);
                if socket.write_all(&block[..size]).await.is_err() {
                    routes
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .disconnects
                        .push(Disconnect {
                            path: path.to_owned(),
                            at: Instant::now(),
                            pieces_sent: sent / block.len(),
                        });
                    return false;
                }
                sent += size;
            }
            let _ = socket.shutdown().await;
            false
        }
        Reply::Reset => {
            let _ = socket.set_zero_linger();
            false
        }
        Reply::Stream {
            status,
            headers,
            pieces,
            end,
        } => {
            // Only a stream that ends normally can leave the connection reusable.
            let chunked = keep_alive && end == StreamEnd::Close;
            let framing = if chunked {
                Framing::Chunked
            } else {
                Framing::Close
            };
            if socket
                .write_all(&head(status, &headers, framing, chunked))
                .await
                .is_err()
            {
                return false;
            }
            for (index, (delay, piece)) in pieces.iter().enumerate() {
                if !delay.is_zero() {
                    tokio::time::sleep(*delay).await;
                }
                // An empty chunk would end a chunked body.
                if chunked && piece.is_empty() {
                    continue;
                }
                let framed;
                let bytes = if chunked {
                    framed = [format!("{:x}\r\n", piece.len()).as_bytes(), piece, b"\r\n"].concat();
                    &framed
                } else {
                    piece
                };
                if socket.write_all(bytes).await.is_err() || socket.flush().await.is_err() {
                    routes
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .disconnects
                        .push(Disconnect {
                            path: path.to_owned(),
                            at: Instant::now(),
                            pieces_sent: index,
                        });
                    return false;
                }
            }
            match end {
                StreamEnd::Close if chunked => return socket.write_all(b"0\r\n\r\n").await.is_ok(),
                StreamEnd::Close => {
                    let _ = socket.shutdown().await;
                }
                StreamEnd::Stall => wait_for_client_to_leave(socket, &mut stopped).await,
                StreamEnd::Reset => {
                    let _ = socket.set_zero_linger();
                }
            }
            false
        }
    }
}

async fn wait_for_client_to_leave(socket: &mut TcpStream, stopped: &mut watch::Receiver<bool>) {
    let mut scratch = [0u8; 256];
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            read = socket.read(&mut scratch) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    }
}

/// Answers a hostile service gives: each shape a test of the plugin's defences needs. Every
/// stream here starts with [`hostile::LEAD`] as ordinary text, so a test can check that what
/// arrived before the hostile part is delivered intact.
pub mod hostile {
    use std::time::Duration;

    use super::{Reply, StreamEnd};

    /// The words every hostile stream delivers before its hostile part.
    pub const LEAD: &str = "before the trouble ";

    /// Text with a terminal escape sequence, a bell, NUL, DEL, a C1 control and a
    /// right-to-left override: what must never reach a message raw.
    pub const CONTROL_TEXT: &str =
        "boom \u{1b}[31mRED\u{1b}[0m\u{1b}]0;pwned\u{7}\u{0}\u{7f}\u{9b}2J \u{202e}gnp.exe done";

    fn chunk(delta: serde_json::Value) -> String {
        serde_json::json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]})
            .to_string()
    }

    fn lead() -> String {
        chunk(serde_json::json!({"content": LEAD}))
    }

    fn finish(reason: &str) -> String {
        serde_json::json!({"choices": [{"index": 0, "delta": {}, "finish_reason": reason}]})
            .to_string()
    }

    /// A stream whose tool-call delta names slot `index`.
    pub fn tool_call_index(index: u64) -> Reply {
        let call = format!(
            r#"{{"choices":[{{"index":0,"delta":{{"tool_calls":[{{"index":{index},"id":"call_x","type":"function","function":{{"name":"f","arguments":"{{}}"}}}}]}}}}]}}"#
        );
        Reply::sse(
            "together",
            &[&lead(), &call, &finish("tool_calls"), "[DONE]"],
            Duration::ZERO,
            StreamEnd::Close,
        )
    }

    /// A stream whose usage counts are absurd: at `u64::MAX`, negative, too large for any
    /// number type, or text.
    pub fn absurd_usage() -> Reply {
        let usage = r#"{"choices":[],"usage":{"prompt_tokens":18446744073709551615,"completion_tokens":18446744073709551615,"total_tokens":-1,"prompt_tokens_details":{"cached_tokens":1e300},"completion_tokens_details":{"reasoning_tokens":"lots"}}}"#;
        Reply::sse(
            "together",
            &[&lead(), &finish("stop"), usage, "[DONE]"],
            Duration::ZERO,
            StreamEnd::Close,
        )
    }

    /// An event stream whose second event is a `data:` line of `total` bytes that never ends.
    pub fn endless_line(total: usize) -> Reply {
        Reply::Flood {
            headers: vec![
                ("content-type".into(), "text/event-stream".into()),
                ("x-inference-provider".into(), "together".into()),
            ],
            prefix: format!("data: {}\n\ndata: ", lead()).into_bytes(),
            fill: b'x',
            piece: 64 * 1024,
            total,
        }
    }

    /// An HTML page with status 200, as a captive portal or a wrong base URL answers.
    pub fn html_page() -> Reply {
        Reply::Respond {
            status: 200,
            headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
            body: b"<!doctype html><html><head><title>Sign in</title></head><body>Please sign in</body></html>".to_vec(),
        }
    }

    /// A whole JSON chat completion of `text` with status 200 (an upstream that ignores
    /// `stream`).
    pub fn json_completion(text: &str) -> Reply {
        Reply::json(
            200,
            serde_json::json!({
                "id": "chatcmpl-json", "object": "chat.completion", "created": 1, "model": "m",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
            })
            .to_string(),
        )
        .with_header("x-inference-provider", "novita")
    }

    /// A JSON document with status 200 that is no chat completion.
    pub fn json_not_a_completion() -> Reply {
        Reply::json(200, r#"{"status":"ok","hint":"this is a health check"}"#)
    }

    /// A stream sent with a `Content-Encoding` nobody asked for.
    pub fn compressed(encoding: &str) -> Reply {
        Reply::sse(
            "together",
            &[&lead(), &finish("stop")],
            Duration::ZERO,
            StreamEnd::Close,
        )
        .with_header("content-encoding", encoding)
    }

    /// A stream that delivers the lead, then an `error` event whose data is a whole error
    /// envelope carrying `message`.
    pub fn error_event_envelope(message: &str) -> Reply {
        let envelope = serde_json::json!({"error": {"message": message, "type": "server_error"}});
        Reply::Stream {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            pieces: vec![
                (Duration::ZERO, format!("data: {}\n\n", lead()).into_bytes()),
                (
                    Duration::ZERO,
                    format!("event: error\ndata: {envelope}\n\n").into_bytes(),
                ),
            ],
            end: StreamEnd::Close,
        }
    }

    /// An error status whose body's message is [`CONTROL_TEXT`].
    pub fn control_characters_in_error(status: u16) -> Reply {
        Reply::json(
            status,
            serde_json::json!({"error": {"message": CONTROL_TEXT}}).to_string(),
        )
    }

    /// A stream with one tool call named [`CONTROL_TEXT`], whose id and arguments hold escape
    /// sequences too: data, which must arrive exact.
    pub fn control_characters_in_tool_name() -> Reply {
        let call = serde_json::json!({"choices": [{"index": 0, "delta": {"tool_calls": [{
            "index": 0, "id": "call_\u{1b}", "type": "function",
            "function": {"name": CONTROL_TEXT, "arguments": "{\"x\":\"\\u001b[2J\"}"}}]}}]})
        .to_string();
        Reply::sse(
            "together",
            &[&lead(), &call, &finish("tool_calls"), "[DONE]"],
            Duration::ZERO,
            StreamEnd::Close,
        )
    }
}

/// The data payloads of a chat stream answering `text` word by word, OpenAI style, ending with
/// a finish reason, usage and `[DONE]`.
pub fn chat_chunks(text: &str) -> Vec<String> {
    let mut chunks = vec![serde_json::json!({
        "id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1,
        "model": "mock", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]
    })
    .to_string()];
    for word in text.split_inclusive(' ') {
        chunks.push(
            serde_json::json!({
                "id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1,
                "model": "mock", "choices": [{"index": 0, "delta": {"content": word}}]
            })
            .to_string(),
        );
    }
    chunks.push(
        serde_json::json!({
            "id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1,
            "model": "mock", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]
        })
        .to_string(),
    );
    chunks.push(
        serde_json::json!({
            "id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1,
            "model": "mock", "choices": [],
            "usage": {"prompt_tokens": 5, "completion_tokens": text.split(' ').count(), "total_tokens": 5 + text.split(' ').count()}
        })
        .to_string(),
    );
    chunks.push("[DONE]".into());
    chunks
}

/// A stream body of `count` small chat chunks (about 150 bytes each, like a fast model's
/// token-by-token output), a finish chunk with usage, and `[DONE]`: the throughput benchmark's
/// load.
pub fn stream_body(count: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(count * 160 + 512);
    for index in 0..count {
        let token = ["the ", "of ", "model ", "and ", "stream ", "to "][index % 6];
        body.extend_from_slice(
            format!(
                "data: {{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1770000000,\"model\":\"bench/model\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{token}\"}},\"finish_reason\":null}}]}}\n\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        b"data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1770000000,\"model\":\"bench/model\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}\n\ndata: [DONE]\n\n",
    );
    body
}

/// A captured fixture from `tests/fixtures/hf-router`.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        crate::workspace_root()
            .join("tests/fixtures/hf-router")
            .join(name),
    )
    .unwrap_or_else(|err| panic!("fixture {name}: {err}"))
}

/// A realistic `GET /v1/models` body with `count` models (about 1 KB each, as the router's
/// are): several upstreams per model with status, context, pricing, tools, structured output,
/// latency and throughput; a few image models and failing upstreams. Deterministic.
pub fn models_body(count: usize) -> Vec<u8> {
    const UPSTREAMS: [&str; 9] = [
        "together",
        "fireworks-ai",
        "novita",
        "nebius",
        "groq",
        "cerebras",
        "sambanova",
        "hyperbolic",
        "featherless-ai",
    ];
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    let mut data = Vec::with_capacity(count);
    for index in 0..count {
        let org = format!("org-{}", index % 97);
        let id = format!("{org}/Model-{index}-{}B-Instruct", 1 + next() % 400);
        let provider_count = 1 + (next() % 6) as usize;
        let providers: Vec<serde_json::Value> = (0..provider_count)
            .map(|p| {
                let name = UPSTREAMS[(index + p) % UPSTREAMS.len()];
                let status = if next() % 17 == 0 { "error" } else { "live" };
                let context = [32768, 65536, 131072, 262144][(next() % 4) as usize];
                serde_json::json!({
                    "provider": name,
                    "status": status,
                    "context_length": context,
                    "pricing": {"input": (next() % 300) as f64 / 100.0, "output": (next() % 900) as f64 / 100.0},
                    "supports_tools": next() % 4 != 0,
                    "supports_structured_output": next() % 3 != 0,
                    "first_token_latency_ms": 100 + next() % 2000,
                    "throughput": 10.0 + (next() % 3000) as f64 / 10.0,
                    "is_model_author": p == 0 && next() % 5 == 0,
                })
            })
            .collect();
        let image = index % 7 == 0;
        data.push(serde_json::json!({
            "id": id,
            "object": "model",
            "created": 1_770_000_000 + index as u64,
            "owned_by": org,
            "architecture": {
                "input_modalities": if image { vec!["text", "image"] } else { vec!["text"] },
                "output_modalities": ["text"],
            },
            "providers": providers,
        }));
    }
    serde_json::to_vec(&serde_json::json!({"object": "list", "data": data}))
        .expect("serialising generated models")
}

/// The kinds of Hub token `/api/whoami-v2` tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A classic read token.
    Read,
    /// A classic write token.
    Write,
    /// A fine-grained token holding `inference.serverless.write` for its user.
    FineGrainedWithInference,
    /// A fine-grained token without it (repo access only).
    FineGrainedWithoutInference,
}

/// An organisation the `whoami-v2` user belongs to.
#[derive(Clone, Debug)]
pub struct OrgMembership {
    pub name: String,
    /// `canPay`: the organisation can pay (a payment method, a Team or Enterprise plan).
    pub can_pay: bool,
    /// `roleInOrg`: `admin`, `write`, `contributor` or `read`.
    pub role: String,
    /// For fine-grained tokens: the token holds `inference.serverless.write` scoped to it.
    pub token_may_bill: bool,
}

impl OrgMembership {
    /// A member with `role` of an organisation that can pay, whose token may bill it.
    pub fn new(name: &str, role: &str) -> Self {
        Self {
            name: name.to_owned(),
            can_pay: true,
            role: role.to_owned(),
            token_may_bill: true,
        }
    }
}

/// A `whoami-v2` body for user `name` holding a token of `kind`, shaped like the Hub's.
pub fn whoami_body(name: &str, kind: TokenKind) -> Vec<u8> {
    whoami_body_with_orgs(name, kind, &[])
}

/// A `whoami-v2` body for user `name`, member of `orgs` (`orgs[]` with `canPay` and
/// `roleInOrg`; a fine-grained token gets a scoped entry per organisation it may bill).
pub fn whoami_body_with_orgs(name: &str, kind: TokenKind, orgs: &[OrgMembership]) -> Vec<u8> {
    let (role, fine_grained) = match kind {
        TokenKind::Read => ("read", serde_json::Value::Null),
        TokenKind::Write => ("write", serde_json::Value::Null),
        TokenKind::FineGrainedWithInference | TokenKind::FineGrainedWithoutInference => {
            let mut permissions = vec!["repo.content.read"];
            if kind == TokenKind::FineGrainedWithInference {
                permissions.push("inference.serverless.write");
            }
            let mut scoped = vec![serde_json::json!({
                "entity": {"_id": "6512aa", "type": "user", "name": name},
                "permissions": permissions
            })];
            for org in orgs.iter().filter(|org| org.token_may_bill) {
                scoped.push(serde_json::json!({
                    "entity": {"_id": format!("org-{}", org.name), "type": "org", "name": org.name},
                    "permissions": ["repo.content.read", "inference.serverless.write"]
                }));
            }
            (
                "fineGrained",
                serde_json::json!({
                    "canReadGatedRepos": false,
                    "global": ["discussion.write"],
                    "scoped": scoped
                }),
            )
        }
    };
    let mut access_token = serde_json::json!({
        "displayName": format!("{name}-token"),
        "role": role,
        "createdAt": "2026-10-01T09:00:00.000Z"
    });
    if !fine_grained.is_null() {
        access_token["fineGrained"] = fine_grained;
    }
    serde_json::to_vec(&serde_json::json!({
        "type": "user",
        "id": "6512aa",
        "name": name,
        "fullname": name,
        "isPro": false,
        "canPay": true,
        "orgs": orgs.iter().map(|org| serde_json::json!({
            "type": "org",
            "id": format!("org-{}", org.name),
            "name": org.name,
            "fullname": org.name,
            "email": null,
            "canPay": org.can_pay,
            "roleInOrg": org.role,
            "avatarUrl": "/avatars/org.svg",
            "periodEnd": null
        })).collect::<Vec<_>>(),
        "auth": {"type": "access_token", "accessToken": access_token}
    }))
    .expect("whoami body")
}

/// `GET /api/whoami-v2` answering for the given tokens, 401 for any other, as the Hub does.
pub fn whoami(tokens: &[(&str, &str, TokenKind)]) -> Reply {
    Reply::ByToken {
        replies: tokens
            .iter()
            .map(|(token, name, kind)| {
                (
                    token.to_string(),
                    Reply::json(200, whoami_body(name, *kind)),
                )
            })
            .collect(),
        otherwise: Box::new(Reply::json(
            401,
            r#"{"error":"Invalid credentials in Authorization header"}"#,
        )),
    }
}

/// `POST /oauth/token` granting `access_token` for a refresh grant, as the Hub's token endpoint
/// answers: a rotated refresh token when given, valid for `expires_in` seconds.
pub fn oauth_token(access_token: &str, refresh_token: Option<&str>, expires_in: u64) -> Reply {
    let mut body = serde_json::json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": expires_in,
    });
    if let Some(refresh_token) = refresh_token {
        body["refresh_token"] = refresh_token.into();
    }
    Reply::json(200, body.to_string())
}

/// `POST /oauth/token` refusing a refresh grant whose session is over, as the Hub does.
pub fn oauth_token_refused() -> Reply {
    Reply::json(
        400,
        r#"{"error":"invalid_grant","error_description":"revoked"}"#,
    )
}

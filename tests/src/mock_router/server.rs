//! The server behind [`super::MockRouter`]: the accept loop, each connection's requests (one, or
//! as many as keep-alive allows), choosing a route's reply and sending it, faults included.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Instant,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::watch,
};

use super::{
    Connections, Disconnect, Recorded, Reply, Routes, StreamEnd,
    wire::{Framing, head, read_request},
};
use crate::loopback::accept_until_stopped;

/// Serves every connection `listener` accepts until `stopped` changes.
pub(super) async fn serve(
    listener: TcpListener,
    routes: Arc<Mutex<Routes>>,
    stopped: watch::Receiver<bool>,
    connections: Connections,
) {
    let accepting = stopped.clone();
    accept_until_stopped(listener, accepting, |socket, peer| {
        let routes = routes.clone();
        let stopped = stopped.clone();
        tokio::spawn(async move {
            let _ = socket.set_nodelay(true);
            handle(socket, peer.port(), routes, stopped, connections).await;
        });
    })
    .await;
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
        Reply::EchoEmbeddings {
            dimensions,
            hf_inference,
        } => {
            let body = request.json();
            let texts: Vec<String> = match &body[if hf_inference { "inputs" } else { "input" }] {
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|item| item.as_str().unwrap_or_default().to_owned())
                    .collect(),
                serde_json::Value::String(text) => vec![text.clone()],
                _ => Vec::new(),
            };
            Reply::json(
                200,
                super::bodies::embeddings_of(&texts, dimensions, hf_inference),
            )
        }
        other => other,
    };
    answer(socket, reply, &request.path, routes, stopped, keep_alive).await
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
                record_disconnect(routes, path, 0);
            }
            false
        }
        Reply::EchoStream { .. } | Reply::EchoEmbeddings { .. } | Reply::ByToken { .. } => {
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
                    record_disconnect(routes, path, sent / block.len());
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
                    record_disconnect(routes, path, index);
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

/// Notes that the client went away from `path` after `pieces_sent` pieces of its reply.
fn record_disconnect(routes: &Arc<Mutex<Routes>>, path: &str, pieces_sent: usize) {
    routes
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .disconnects
        .push(Disconnect {
            path: path.to_owned(),
            at: Instant::now(),
            pieces_sent,
        });
}

//! A tiny HTTP/1.1 server on 127.0.0.1:0 (one thread per connection, `Connection: close`), with a
//! JSON-RPC handler backed by [`Chain`], or misbehaviours for the failure tests.
//!
//! Requests are read whatever their headers say (an `Authorization` header, from a URL with
//! `user:password@`, is ignored).

use super::evm::{Chain, Outcome};
use super::CHAIN_ID;
use alloy_primitives::Address;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the server does with each request.
#[derive(Clone)]
pub enum Behaviour {
    /// Answer JSON-RPC from this chain (reporting `chain_id` for `eth_chainId`).
    Evm {
        /// The chain.
        chain: Arc<Mutex<Chain>>,
        /// What `eth_chainId` says.
        chain_id: u64,
    },
    /// Like `Evm`, each answer sent after this delay.
    Slow {
        /// The chain.
        chain: Arc<Mutex<Chain>>,
        /// How long each answer takes.
        delay: Duration,
    },
    /// 200 with a body that is not JSON.
    Garbage,
    /// 200 with valid JSON that is not a JSON-RPC reply.
    NotJsonRpc,
    /// This HTTP status, empty body.
    Status(u16),
    /// Read the request, never answer (until the server stops).
    Hang,
    /// 200 with a body of this many bytes (of JSON-ish junk).
    Huge(usize),
    /// A JSON-RPC error with this code for every method.
    RpcError(i64),
}

/// A running server; stops when dropped.
pub struct Server {
    /// `http://127.0.0.1:<port>/`.
    pub url: String,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    /// JSON-RPC requests received, in order: (method, params).
    pub requests: Arc<Mutex<Vec<(String, Value)>>>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Start serving `behaviour`.
    pub fn start(behaviour: Behaviour) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("the bound address");
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (s, m) = (stop.clone(), requests.clone());
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (b, s, m) = (behaviour.clone(), s.clone(), m.clone());
                std::thread::spawn(move || serve(conn, &b, &s, &m));
            }
        });
        Server {
            url: format!("http://{addr}/"),
            addr,
            stop,
            requests,
            accept: Some(accept),
        }
    }

    /// The JSON-RPC methods received so far.
    pub fn methods(&self) -> Vec<String> {
        lock(&self.requests)
            .iter()
            .map(|(m, _)| m.clone())
            .collect()
    }

    /// The `eth_call` data received so far.
    pub fn call_data(&self) -> Vec<Vec<u8>> {
        lock(&self.requests)
            .iter()
            .filter(|(m, _)| m == "eth_call")
            .filter_map(|(_, p)| {
                p[0]["data"]
                    .as_str()
                    .and_then(|d| hex::decode(&d[2..]).ok())
            })
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wake the accept loop
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// The URL of a port nobody listens on (bound, then closed).
pub fn dead_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = l.local_addr().expect("the bound address");
    drop(l);
    format!("http://{addr}/")
}

type Log = Mutex<Vec<(String, Value)>>;

/// The guarded value, also after a panic elsewhere (a failed test's thread).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn to_vec(reply: &Value) -> Vec<u8> {
    serde_json::to_vec(reply).expect("a JSON value serializes")
}

fn serve(mut conn: TcpStream, b: &Behaviour, stop: &AtomicBool, log: &Log) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(body) = read_request(&mut conn) else {
        return;
    };
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let method = request["method"].as_str().unwrap_or("").to_owned();
    lock(log).push((method.clone(), request["params"].clone()));
    let id = request["id"].clone();
    let (status, body) = match b {
        Behaviour::Evm { chain, chain_id } => {
            let reply = match dispatch(chain, *chain_id, &method, &request["params"]) {
                Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
                Err(error) => json!({"jsonrpc": "2.0", "id": id, "error": error}),
            };
            (200, to_vec(&reply))
        }
        Behaviour::Slow { chain, delay } => {
            std::thread::sleep(*delay);
            let reply = match dispatch(chain, CHAIN_ID, &method, &request["params"]) {
                Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
                Err(error) => json!({"jsonrpc": "2.0", "id": id, "error": error}),
            };
            (200, to_vec(&reply))
        }
        Behaviour::Garbage => (200, b"<html>502 Bad Gateway</html>\n\x00\x01".to_vec()),
        Behaviour::NotJsonRpc => (200, br#"{"hello":"world"}"#.to_vec()),
        Behaviour::Status(s) => (*s, Vec::new()),
        Behaviour::Hang => {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20));
            }
            return;
        }
        Behaviour::Huge(n) => (200, vec![b' '; *n]),
        Behaviour::RpcError(code) => {
            let reply = json!({"jsonrpc": "2.0", "id": id,
                "error": {"code": code, "message": "upstream rate limit\nexceeded"}});
            (200, to_vec(&reply))
        }
    };
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(&body);
    let _ = conn.flush();
}

/// Read one request's headers and `content-length` body.
fn read_request(conn: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + len {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(buf[header_end..header_end + len].to_vec())
}

fn hex_arg(v: &Value) -> Result<Vec<u8>, Value> {
    let s = v.as_str().ok_or_else(|| invalid("expected hex"))?;
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).map_err(|_| invalid("bad hex"))
}

fn address_arg(v: &Value) -> Result<Address, Value> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("expected an address"))
}

fn invalid(msg: &str) -> Value {
    json!({"code": -32602, "message": msg})
}

/// JSON-RPC over the chain: `eth_chainId`, `eth_getCode`, `eth_call` (geth's error shapes).
fn dispatch(
    chain: &Mutex<Chain>,
    chain_id: u64,
    method: &str,
    params: &Value,
) -> Result<Value, Value> {
    match method {
        "eth_chainId" => Ok(json!(format!("{chain_id:#x}"))),
        "eth_getCode" => {
            let a = address_arg(&params[0])?;
            let code = lock(chain).code(a);
            Ok(json!(format!("0x{}", hex::encode(code))))
        }
        "eth_call" => {
            let tx = &params[0];
            let to = match &tx["to"] {
                Value::Null => None,
                v => Some(address_arg(v)?),
            };
            let data = match (&tx["data"], &tx["input"]) {
                (Value::Null, Value::Null) => Vec::new(),
                (Value::Null, input) => hex_arg(input)?,
                (data, _) => hex_arg(data)?,
            };
            match lock(chain).call(to, data) {
                Outcome::Success { output, .. } => Ok(json!(format!("0x{}", hex::encode(output)))),
                Outcome::Revert(data) => Err(json!({"code": 3, "message": "execution reverted",
                    "data": format!("0x{}", hex::encode(data))})),
                Outcome::Halt(reason) => Err(json!({"code": -32000, "message": reason})),
            }
        }
        _ => Err(json!({"code": -32601, "message": "the method does not exist"})),
    }
}

/// A fresh chain and a server for it; `CHAIN_ID` by default.
pub fn evm_server(chain: &Arc<Mutex<Chain>>) -> Server {
    Server::start(Behaviour::Evm {
        chain: chain.clone(),
        chain_id: CHAIN_ID,
    })
}

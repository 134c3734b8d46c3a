//! Starts real `blocktree-node` processes for end-to-end tests and talks to them over
//! JSON-RPC. A node is killed when its handle drops; if the test is failing, the tail of the
//! node's log is printed so the failure explains itself.

#![allow(dead_code)]

use std::{
	fs::{self, File},
	io::{BufRead, BufReader},
	net::TcpListener,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use jsonrpsee::{
	core::{client::ClientT, params::ArrayParams},
	http_client::{HttpClient, HttpClientBuilder},
};
use serde_json::Value;

/// Path of the node binary cargo built for these tests.
pub const NODE_BIN: &str = env!("CARGO_BIN_EXE_blocktree-node");

/// Path of the `blocktree` client binary (package `blocktree-client`), built next to the node
/// by a workspace build (`cargo nextest run --workspace`, `cargo build --workspace`).
pub fn client_bin() -> PathBuf {
	let bin = Path::new(NODE_BIN).with_file_name("blocktree");
	assert!(
		bin.exists(),
		"{} is missing: these tests run the client binary too; build it with `cargo build -p blocktree-client` or test the whole workspace",
		bin.display()
	);
	bin
}

/// A finished command's stdout, as text.
pub fn stdout(o: &std::process::Output) -> String {
	String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A finished command's stderr, as text.
pub fn stderr(o: &std::process::Output) -> String {
	String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `blocktree <args>` (the client) as a separate process (as a user would), off the async
/// runtime, with key files opened by `password` and no signer from the environment.
pub async fn run_cli(args: Vec<String>, password: &'static str) -> std::process::Output {
	tokio::task::spawn_blocking(move || {
		Command::new(client_bin())
			.args(&args)
			.env("BLOCKTREE_PASSWORD", password)
			.env_remove("BLOCKTREE_SIGNER")
			.output()
			.expect("client binary runs")
	})
	.await
	.expect("the command thread finishes")
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0")
		.and_then(|l| l.local_addr())
		.map(|a| a.port())
		.expect("the OS hands out an ephemeral port; qed")
}

/// A fresh directory under the system temp dir, removed by [`TempDir`]'s drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
	pub fn new(label: &str) -> Self {
		let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
		let path = std::env::temp_dir()
			.join(format!("blocktree-{label}-{}-{nanos}", std::process::id()));
		fs::create_dir_all(&path).expect("temp dir is writable");
		TempDir(path)
	}

	pub fn path(&self) -> &Path {
		&self.0
	}
}

impl Drop for TempDir {
	fn drop(&mut self) {
		if std::thread::panicking() {
			eprintln!("keeping {} for inspection", self.0.display());
		} else {
			let _ = fs::remove_dir_all(&self.0);
		}
	}
}

/// A running node process.
pub struct TestNode {
	pub name: String,
	pub rpc_port: u16,
	pub p2p_port: u16,
	child: Option<Child>,
	log_path: PathBuf,
	args: Vec<String>,
}

impl TestNode {
	/// Starts the node binary with `args` plus free `--rpc-port` and `--port`, logging to
	/// `<log_dir>/<name>.log`, and waits until its RPC server answers.
	pub async fn start(name: &str, log_dir: &Path, args: &[&str]) -> TestNode {
		let rpc_port = free_port();
		let p2p_port = free_port();
		Self::start_on(name, log_dir, args, rpc_port, p2p_port).await
	}

	/// As [`TestNode::start`] on the given ports (a restart reuses its ports).
	pub async fn start_on(
		name: &str,
		log_dir: &Path,
		args: &[&str],
		rpc_port: u16,
		p2p_port: u16,
	) -> TestNode {
		let log_path = log_dir.join(format!("{name}.log"));
		let mut node = TestNode {
			name: name.to_string(),
			rpc_port,
			p2p_port,
			child: None,
			log_path,
			args: args.iter().map(|s| s.to_string()).collect(),
		};
		node.spawn();
		node.wait_for_rpc(Duration::from_secs(180)).await;
		node
	}

	fn spawn(&mut self) {
		let log = File::options()
			.create(true)
			.append(true)
			.open(&self.log_path)
			.expect("log file is writable");
		let mut command = Command::new(NODE_BIN);
		command.args(&self.args);
		if !self.args.iter().any(|a| a == "--prometheus-port") {
			command.arg("--no-prometheus");
		}
		let child = command
			.args([
				"--rpc-port",
				&self.rpc_port.to_string(),
				"--port",
				&self.p2p_port.to_string(),
				"--no-telemetry",
				"--no-mdns",
				"--name",
				&self.name,
			])
			.env("RUST_LOG", "info")
			.stdout(Stdio::null())
			.stderr(log)
			.spawn()
			.unwrap_or_else(|e| panic!("cannot start {NODE_BIN}: {e}"));
		self.child = Some(child);
	}

	/// The node's JSON-RPC endpoint over HTTP.
	pub fn http_url(&self) -> String {
		format!("http://127.0.0.1:{}", self.rpc_port)
	}

	/// The node's JSON-RPC endpoint over WebSocket (same port).
	pub fn ws_url(&self) -> String {
		format!("ws://127.0.0.1:{}", self.rpc_port)
	}

	fn client(&self) -> HttpClient {
		HttpClientBuilder::default()
			.request_timeout(Duration::from_secs(30))
			.build(self.http_url())
			.expect("a well-formed URL; qed")
	}

	/// Calls `method` with positional `params`.
	pub async fn rpc(&self, method: &str, params: Vec<Value>) -> Result<Value, jsonrpsee::core::ClientError> {
		let mut array = ArrayParams::new();
		for p in params {
			array.insert(p).expect("a JSON value serializes; qed");
		}
		self.client().request(method, array).await
	}

	/// Panics with the log tail if the process has exited.
	pub fn assert_running(&mut self) {
		if let Some(child) = self.child.as_mut() {
			if let Ok(Some(status)) = child.try_wait() {
				panic!("node {} exited ({status}):\n{}", self.name, self.log_tail(60));
			}
		}
	}

	async fn wait_for_rpc(&mut self, timeout: Duration) {
		let start = Instant::now();
		loop {
			self.assert_running();
			if self.rpc("system_health", vec![]).await.is_ok() {
				return;
			}
			if start.elapsed() > timeout {
				panic!("node {} did not answer RPC within {timeout:?}:\n{}", self.name, self.log_tail(60));
			}
			tokio::time::sleep(Duration::from_millis(250)).await;
		}
	}

	/// Number of the block with `hash`.
	pub async fn block_number(&self, hash: &Value) -> Option<u64> {
		let header = self.rpc("chain_getHeader", vec![hash.clone()]).await.ok()?;
		parse_hex_number(header.get("number")?)
	}

	/// The finalized head: (number, hash).
	pub async fn finalized(&self) -> Option<(u64, String)> {
		let hash = self.rpc("chain_getFinalizedHead", vec![]).await.ok()?;
		let number = self.block_number(&hash).await?;
		Some((number, hash.as_str()?.to_string()))
	}

	/// The best block's number.
	pub async fn best_number(&self) -> Option<u64> {
		let header = self.rpc("chain_getHeader", vec![]).await.ok()?;
		parse_hex_number(header.get("number")?)
	}

	/// Hash of the canonical block at `number`.
	pub async fn block_hash(&self, number: u64) -> Option<String> {
		let hash = self.rpc("chain_getBlockHash", vec![Value::from(number)]).await.ok()?;
		hash.as_str().map(str::to_string)
	}

	/// Waits until the finalized head reaches `number`; returns it.
	pub async fn wait_finalized(&mut self, number: u64, timeout: Duration) -> (u64, String) {
		let start = Instant::now();
		loop {
			self.assert_running();
			if let Some((n, hash)) = self.finalized().await {
				if n >= number {
					return (n, hash);
				}
			}
			if start.elapsed() > timeout {
				panic!(
					"node {} did not finalize block #{number} within {timeout:?} (finalized: {:?}):\n{}",
					self.name,
					self.finalized().await,
					self.log_tail(60)
				);
			}
			tokio::time::sleep(Duration::from_millis(500)).await;
		}
	}

	/// Waits until the best block reaches `number`.
	pub async fn wait_best(&mut self, number: u64, timeout: Duration) -> u64 {
		let start = Instant::now();
		loop {
			self.assert_running();
			if let Some(n) = self.best_number().await {
				if n >= number {
					return n;
				}
			}
			if start.elapsed() > timeout {
				panic!(
					"node {} did not reach best block #{number} within {timeout:?}:\n{}",
					self.name,
					self.log_tail(60)
				);
			}
			tokio::time::sleep(Duration::from_millis(500)).await;
		}
	}

	/// Kills the process (SIGKILL: no clean shutdown, as a crash would be).
	pub fn kill(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = child.kill();
			let _ = child.wait();
		}
	}

	/// Starts the process again with the same arguments, ports and base path.
	pub async fn restart(&mut self) {
		self.kill();
		self.spawn();
		self.wait_for_rpc(Duration::from_secs(180)).await;
	}

	/// The last `lines` lines of the node's log.
	pub fn log_tail(&self, lines: usize) -> String {
		let Ok(file) = File::open(&self.log_path) else { return String::new() };
		let all: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
		all[all.len().saturating_sub(lines)..].join("\n")
	}

	/// Whether the node's log contains `needle`.
	pub fn log_contains(&self, needle: &str) -> bool {
		fs::read_to_string(&self.log_path).map(|s| s.contains(needle)).unwrap_or(false)
	}
}

impl Drop for TestNode {
	fn drop(&mut self) {
		if std::thread::panicking() {
			eprintln!("--- last lines of node {} ---\n{}", self.name, self.log_tail(40));
		}
		self.kill();
	}
}

/// The body of `GET http://127.0.0.1:<port><path>` (HTTP/1.0, for the Prometheus endpoint).
pub fn http_get(port: u16, path: &str) -> std::io::Result<String> {
	use std::io::{Read, Write};
	let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
	stream.set_read_timeout(Some(Duration::from_secs(10)))?;
	write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
	let mut response = String::new();
	stream.read_to_string(&mut response)?;
	Ok(response.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default())
}

/// Parses a JSON-RPC hex quantity ("0x1a") or plain number.
pub fn parse_hex_number(v: &Value) -> Option<u64> {
	match v {
		Value::String(s) => u64::from_str_radix(s.trim_start_matches("0x"), 16).ok(),
		Value::Number(n) => n.as_u64(),
		_ => None,
	}
}

/// Writes a node key (ed25519 secret, hex) to `dir` and asks the node binary for its peer id:
/// `(secret, peer id)`.
pub fn node_key(dir: &Path, index: u8) -> (String, String) {
	let secret = format!("{:064x}", index as u128 + 1);
	let file = dir.join(format!("node-key-{index}"));
	fs::write(&file, &secret).expect("key file is writable");
	let out = Command::new(NODE_BIN).args(["key", "inspect-node-key", "--file"]).arg(&file).output().expect("node binary runs");
	assert!(out.status.success(), "inspect-node-key failed: {}", String::from_utf8_lossy(&out.stderr));
	let peer_id = String::from_utf8_lossy(&out.stdout).trim().to_string();
	(secret, peer_id)
}

/// `(k, n, fragment size)` the chain gives Alice's account for `size` bytes at tolerance 1, or
/// its reason (`NotEnoughProviders` until the storage workers have opened contracts).
pub async fn erasure_params(node: &TestNode, size: u64) -> Result<(u8, u8, u64), String> {
	use codec::{Decode, Encode};
	let alice = sp_keyring::Sr25519Keyring::Alice.to_account_id();
	let args = sp_core::bytes::to_hex(&(alice, size, 1u8).encode(), false);
	let answer = node
		.rpc("state_call", vec![serde_json::json!("FragmentsApi_erasure_params"), serde_json::json!(args)])
		.await
		.map_err(|e| e.to_string())?;
	let bytes = sp_core::bytes::from_hex(answer.as_str().unwrap_or_default()).map_err(|e| format!("{e:?}"))?;
	let result = Result::<(u8, u8, u64), sp_runtime::DispatchError>::decode(&mut &bytes[..]).map_err(|e| e.to_string())?;
	result.map_err(|e| format!("{e:?}"))
}

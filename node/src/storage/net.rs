//! The fragment exchange on the node's network (`/<genesis>/blocktree/fragment/1`, a
//! request-response protocol of sc-network, on the litep2p and libp2p backends alike): the
//! handler serving other nodes, and the client side pushing and fetching fragments.

use std::{sync::Arc, time::{Duration, Instant}};

use blocktree_runtime::Hash;
use blocktree_storage::{
	protocol::{self, push_parts, Refusal, Request, Response, MAX_PART},
	service::{Event, FragmentService},
	store::FragmentKey,
};
use codec::Encode;
use futures::StreamExt;
use pallet_endpoints::address::NetAddress;
use sc_network::{
	config::{IncomingRequest, OutgoingResponse},
	request_responses::{IfDisconnected, RequestFailure},
	service::traits::NetworkService,
	Multiaddr, NetworkPeers, NetworkRequest, PeerId, ProtocolName,
};

use super::{chain::Chain, LOG_TARGET};

/// Requests served at once (disk reads and hashing run on blocking threads).
const CONCURRENT_REQUESTS: usize = 8;

/// Inbound requests queued before new ones are refused (a push part is 2 MiB).
pub const INBOUND_QUEUE: usize = 64;

/// Attempts of one request before giving up: litep2p reports transient dial failures as
/// `Refused`, so a few retries a second apart ride them out.
const ATTEMPTS: u32 = 5;

/// Seconds a push waits, at most, for the provider to import the block that recorded the
/// fragment's block (two slots).
const UNKNOWN_BLOCK_WAITS: u32 = 12;

/// The protocol's configuration for backend `N`, and the queue its requests arrive on.
pub fn protocol_config<N>(genesis: &Hash) -> (N::RequestResponseProtocolConfig, async_channel::Receiver<IncomingRequest>)
where
	N: sc_network::NetworkBackend<blocktree_runtime::opaque::Block, Hash>,
{
	let (tx, rx) = async_channel::bounded(INBOUND_QUEUE);
	let config = N::request_response_config(
		protocol::protocol_name(genesis).into(),
		Vec::new(),
		protocol::MAX_REQUEST_SIZE,
		protocol::MAX_RESPONSE_SIZE,
		protocol::REQUEST_TIMEOUT,
		Some(tx),
	);
	(config, rx)
}

/// Serves requests from `requests` with `service`, passing what the worker must do to
/// `events`.
pub async fn serve(
	requests: async_channel::Receiver<IncomingRequest>,
	service: Arc<FragmentService<Chain>>,
	events: futures::channel::mpsc::UnboundedSender<Event>,
) {
	requests
		.for_each_concurrent(CONCURRENT_REQUESTS, |IncomingRequest { peer, payload, pending_response }| {
			let service = service.clone();
			let events = events.clone();
			async move {
				let peer_bytes = peer.to_bytes();
				let answer = tokio::task::spawn_blocking(move || service.handle(&peer_bytes, &payload, Instant::now())).await;
				let (response, event) = match answer {
					Ok(answer) => answer,
					Err(e) => {
						log::error!(target: LOG_TARGET, "request from {peer} failed: {e}");
						(Response::Refused(Refusal::Internal), None)
					},
				};
				if let Response::Refused(reason) = &response {
					log::debug!(target: LOG_TARGET, "refused a request from {peer}: {reason}");
				}
				if let Some(event) = event {
					let _ = events.unbounded_send(event);
				}
				let _ = pending_response.send(OutgoingResponse {
					result: Ok(response.encode()),
					reputation_changes: Vec::new(),
					sent_feedback: None,
				});
			}
		})
		.await
}

/// The `/ip4|ip6/<ip>/tcp/<port>` multiaddress of an on-chain address.
pub fn multiaddr(address: &NetAddress) -> Option<Multiaddr> {
	let text = match address {
		NetAddress::Ip4 { ip, port } => format!("/ip4/{}/tcp/{port}", std::net::Ipv4Addr::from(*ip)),
		NetAddress::Ip6 { ip, port } => format!("/ip6/{}/tcp/{port}", std::net::Ipv6Addr::from(*ip)),
	};
	text.parse().ok()
}

/// Sends requests of the fragment exchange to other nodes.
#[derive(Clone)]
pub struct Exchange {
	network: Arc<dyn NetworkService>,
	protocol: ProtocolName,
}

impl Exchange {
	/// Requests over `network` on the chain with genesis `genesis`.
	pub fn new(network: Arc<dyn NetworkService>, genesis: &Hash) -> Self {
		Exchange { network, protocol: protocol::protocol_name(genesis).into() }
	}

	/// The peer id of an on-chain endpoint, after telling the network where it listens.
	pub fn learn(&self, peer_id: &[u8], addresses: &[NetAddress]) -> Result<PeerId, String> {
		let peer = PeerId::from_bytes(peer_id).map_err(|e| format!("an endpoint's peer id is malformed: {e}"))?;
		for address in addresses.iter().filter_map(multiaddr) {
			self.network.add_known_address(peer, address);
		}
		Ok(peer)
	}

	/// Sends `request` to `peer`, retrying transient failures; the answer, or why none came.
	pub async fn request(&self, peer: PeerId, request: &Request) -> Result<Response, String> {
		let bytes = request.encode();
		let mut last = String::new();
		for attempt in 0..ATTEMPTS {
			if attempt > 0 {
				tokio::time::sleep(Duration::from_secs(1)).await;
			}
			match self.network.request(peer, self.protocol.clone(), bytes.clone(), None, IfDisconnected::TryConnect).await {
				Ok((answer, _)) =>
					return Response::decode_bounded(&answer).map_err(|e| format!("{peer} sent a malformed response: {e}")),
				Err(e @ (RequestFailure::Refused | RequestFailure::NotConnected | RequestFailure::Network(_))) => last = e.to_string(),
				Err(e) => return Err(format!("request to {peer} failed: {e}")),
			}
		}
		Err(format!("request to {peer} failed {ATTEMPTS} times, last: {last} (is the node up and reachable at its registered addresses?)"))
	}

	/// Pushes `fragment` (fragment `key`) to `peer` part by part, resuming where the peer says.
	pub async fn push(&self, peer: PeerId, key: FragmentKey, fragment: &[u8]) -> Result<(), String> {
		let parts: Vec<Request> = push_parts(key.block, key.index, fragment).collect();
		let mut next = 0usize;
		let mut resumed = 0;
		let mut waited = 0;
		while next < parts.len() {
			match self.request(peer, &parts[next]).await? {
				Response::Accepted { .. } => next += 1,
				Response::Stored => return Ok(()),
				// The provider has not imported the block that recorded it yet: it follows the
				// chain a moment behind the owner's node.
				Response::Refused(Refusal::UnknownBlock) if waited < UNKNOWN_BLOCK_WAITS => {
					waited += 1;
					tokio::time::sleep(Duration::from_secs(1)).await;
				},
				Response::Refused(Refusal::OutOfOrder { expected }) if expected % MAX_PART as u64 == 0 && resumed < 3 => {
					resumed += 1;
					next = (expected / MAX_PART as u64) as usize;
				},
				Response::Refused(reason) => return Err(format!("{peer} refused {key}: {reason}")),
				other => return Err(format!("{peer} answered a push with {other:?}")),
			}
		}
		Err(format!("{peer} took every part of {key} but did not confirm storing it"))
	}

	/// Fetches the whole of fragment `key` (`size` bytes) from `peer`. The caller verifies it
	/// against the root the chain recorded.
	pub async fn fetch(&self, peer: PeerId, key: FragmentKey, size: u64) -> Result<Vec<u8>, String> {
		let mut bytes = Vec::with_capacity(size as usize);
		while (bytes.len() as u64) < size {
			let len = (size - bytes.len() as u64).min(MAX_PART as u64) as u32;
			let request = Request::Fetch { block: key.block, index: key.index, offset: bytes.len() as u64, len };
			match self.request(peer, &request).await? {
				Response::Bytes { fragment_len, bytes: part } if fragment_len == size && !part.is_empty() && part.len() <= len as usize =>
					bytes.extend_from_slice(&part),
				Response::Refused(reason) => return Err(format!("{peer} refused to serve {key}: {reason}")),
				other => return Err(format!("{peer} answered a fetch of {key} with a wrong reply ({})", describe(&other))),
			}
		}
		Ok(bytes)
	}
}

fn describe(response: &Response) -> String {
	match response {
		Response::Bytes { fragment_len, bytes } => format!("{} bytes of a {fragment_len}-byte fragment", bytes.len()),
		Response::Chunks { chunks, .. } => format!("{} chunks", chunks.len()),
		other => format!("{other:?}"),
	}
}

//! The on-chain half of `blocktree principal ...`: register a principal, claim its root,
//! request write access, list, approve and reject requests, and ask the chain whether a cap
//! chain lets a principal write a path. Each command signs with an account key (`--signer`)
//! and talks to a node over JSON-RPC (`--rpc-url`).

use blocktree_primitives::{
	cap::{CapError, SignedWriteCap, WriteCapChain},
	crypto::PrincipalKeys,
	path::BlockPath,
	principal::{Principal, PrincipalId},
};
use blocktree_runtime::{AccountId, Balance, BlockNumber, PrincipalsCall, RuntimeCall, RuntimeEvent};
use pallet_principals::{Event as PrincipalsEvent, WriteRequest};

use crate::chain::{account_of, ChainClient, Included};

/// A pending write request as the runtime API returns it.
pub type PendingRequest = (u64, WriteRequest<AccountId, BlockNumber, Balance>);

/// Runs `work` on a fresh single-purpose tokio runtime.
pub fn block_on<T>(work: impl std::future::Future<Output = Result<T, String>>) -> Result<T, String> {
	tokio::runtime::Builder::new_current_thread()
		.enable_all()
		.build()
		.map_err(|e| format!("cannot start an async runtime: {e}"))?
		.block_on(work)
}

fn principals_events(included: &Included) -> impl Iterator<Item = &PrincipalsEvent<blocktree_runtime::Runtime>> {
	included.events.iter().filter_map(|e| match e {
		RuntimeEvent::Principals(event) => Some(event),
		_ => None,
	})
}

fn hex_id(id: &PrincipalId) -> String {
	crate::principal_cmd::hex_of(id.as_bytes())
}

/// Registers `keys` with the signer as controller (holds the principal deposit).
pub async fn register(client: &ChainClient, signer: &sp_core::sr25519::Pair, keys: &PrincipalKeys) -> Result<String, String> {
	let principal: Principal = keys.principal();
	let message = pallet_principals::possession_message(&account_of(signer), &principal);
	let proof = keys.sign(&message);
	let call = RuntimeCall::Principals(PrincipalsCall::register { keys: principal, proof });
	let included = client.submit(signer, call).await?;
	Ok(format!("registered principal {} in block {:?}", hex_id(&keys.id()), included.block))
}

/// Claims the tree of the signer's principal (holds the root deposit).
pub async fn claim_root(client: &ChainClient, signer: &sp_core::sr25519::Pair) -> Result<String, String> {
	let included = client.submit(signer, RuntimeCall::Principals(PrincipalsCall::claim_root {})).await?;
	for event in principals_events(&included) {
		if let PrincipalsEvent::RootClaimed { owner } = event {
			return Ok(format!("claimed root {}", BlockPath::root_of(owner)));
		}
	}
	Err("the chain recorded no RootClaimed event".into())
}

/// Asks the owner of `prefix`'s tree for write access; returns the request id.
pub async fn request(client: &ChainClient, signer: &sp_core::sr25519::Pair, prefix: BlockPath) -> Result<u64, String> {
	let call = RuntimeCall::Principals(PrincipalsCall::request_write_access { prefix });
	let included = client.submit(signer, call).await?;
	let id = principals_events(&included).find_map(|e| match e {
		PrincipalsEvent::WriteAccessRequested { request, .. } => Some(*request),
		_ => None,
	});
	id.ok_or_else(|| "the chain recorded no WriteAccessRequested event".into())
}

/// The pending requests for `owner`'s tree.
pub async fn pending(client: &ChainClient, owner: PrincipalId) -> Result<Vec<PendingRequest>, String> {
	client.runtime_call("PrincipalsApi_pending_requests", owner).await
}

/// One line per pending request.
pub fn describe_pending(requests: &[PendingRequest]) -> String {
	requests
		.iter()
		.map(|(id, r)| {
			format!("request {id}: {} asks for {} (expires at block {})\n", hex_id(&r.requester), r.prefix, r.expires_at)
		})
		.collect()
}

/// Approves request `request` of `owner`'s tree by publishing `cap` on top of `chain`.
pub async fn approve(
	client: &ChainClient,
	signer: &sp_core::sr25519::Pair,
	owner: PrincipalId,
	request: u64,
	cap: SignedWriteCap,
	chain: WriteCapChain,
) -> Result<String, String> {
	let call = RuntimeCall::Principals(PrincipalsCall::approve_write_request { owner, request, cap, chain });
	let included = client.submit(signer, call).await?;
	let granted = principals_events(&included).find_map(|e| match e {
		PrincipalsEvent::WriteAccessGranted { subject, .. } => {
			Some(format!("granted request {request}: {} may now write", hex_id(subject)))
		},
		_ => None,
	});
	granted.ok_or_else(|| "the chain recorded no WriteAccessGranted event".into())
}

/// Rejects request `request` of `owner`'s tree (the requester gets the deposit back).
pub async fn reject(client: &ChainClient, signer: &sp_core::sr25519::Pair, owner: PrincipalId, request: u64) -> Result<String, String> {
	let call = RuntimeCall::Principals(PrincipalsCall::reject_write_request { owner, request });
	client.submit(signer, call).await?;
	Ok(format!("rejected request {request}"))
}

/// Whether the chain lets `writer` write `path` with `chain`.
pub async fn may_write(
	client: &ChainClient,
	writer: PrincipalId,
	path: BlockPath,
	chain: WriteCapChain,
) -> Result<Result<(), CapError>, String> {
	client.runtime_call("PrincipalsApi_may_write", (writer, path, chain)).await
}

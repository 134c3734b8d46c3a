//! Write capabilities: who may write where.
//!
//! A [`WriteCap`] is a certificate by an *issuer* that a *subject* may write below a path
//! *prefix* until an expiry time. Caps form a chain back to the principal that owns the tree: the
//! root grants `/R/photos` to Bob, Bob grants `/R/photos/2026` to Carol, and Carol presents both
//! when she writes `/R/photos/2026/beach.jpg`. [`verify_write_access`] checks such a chain; the
//! runtime and clients use the same function, so they agree on every verdict.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::{ConstU32, H256};
use sp_runtime::BoundedVec;

use crate::{
	path::BlockPath,
	principal::{Principal, PrincipalId, Signature},
};

/// Longest chain of caps from a root to a writer.
pub const MAX_CAP_CHAIN: u32 = 8;

/// Identifies a cap, for revocation: `blake2_256` of the encoded cap.
pub type CapId = H256;

/// Names one network: its genesis block hash. Signed into every cap and block header, so that a
/// signature made for one chain never verifies on another.
pub type ChainTag = H256;

/// Domain tag prefixed to what an issuer signs.
const WRITE_CAP_DOMAIN: &[u8] = b"blocktree:write-cap:v1";

/// A grant of write access below `prefix` to `subject`, by `issuer`, until `expires_at`.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct WriteCap {
	/// Who grants. The signature is checked against the issuer's current keys (on chain, the
	/// principals pallet's record; a client asks the chain or its own cache).
	pub issuer: PrincipalId,
	/// Who receives the right to write.
	pub subject: PrincipalId,
	/// The subtree the subject may write.
	pub prefix: BlockPath,
	/// Unix time in milliseconds after which the cap is void.
	pub expires_at: u64,
	/// Makes otherwise identical caps distinct, so each can be revoked alone.
	pub nonce: u64,
}

impl WriteCap {
	/// The bytes the issuer signs: the domain tag, the chain's tag (its genesis hash, so a cap
	/// never replays on another network) and the cap.
	pub fn signing_payload(&self, chain: &ChainTag) -> alloc::vec::Vec<u8> {
		(WRITE_CAP_DOMAIN, chain, self).encode()
	}

	/// The cap's id, under which it is revoked.
	pub fn id(&self) -> CapId {
		H256(sp_crypto_hashing::blake2_256(&self.encode()))
	}
}

/// A write cap with its issuer's signature.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct SignedWriteCap {
	/// The grant.
	pub cap: WriteCap,
	/// The issuer's signature over [`WriteCap::signing_payload`].
	pub signature: Signature,
}

/// A chain of caps from a tree's root principal to a writer.
pub type WriteCapChain = BoundedVec<SignedWriteCap, ConstU32<MAX_CAP_CHAIN>>;

/// Why a chain does not let a principal write a path. One variant per broken rule, so that
/// both the runtime and a client can say exactly what to fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub enum CapError {
	/// The writer does not own the tree and presented no cap.
	NoCapability,
	/// More than [`MAX_CAP_CHAIN`] links.
	ChainTooLong,
	/// A link's issuer is not the previous link's subject (or, for the first link, the root
	/// principal of the path): a link is missing.
	MissingLink,
	/// A link's signature is not its issuer's.
	WrongSigner,
	/// A link's issuer is not a known principal (not registered, or unknown to the client).
	UnknownIssuer,
	/// A link grants a wider prefix than the link before it, or a prefix outside the tree.
	ScopeWidened,
	/// A link expired.
	Expired,
	/// A link was revoked.
	Revoked,
	/// The path lies outside the last link's prefix.
	PathOutsideScope,
	/// The last link was granted to someone other than the writer.
	WriterNotSubject,
}

impl core::fmt::Display for CapError {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		f.write_str(match self {
			CapError::NoCapability =>
				"no write cap: ask the tree's owner (or a holder of a cap over the path) for one",
			CapError::ChainTooLong => "write-cap chain longer than 8 links",
			CapError::MissingLink =>
				"write-cap chain is broken: a link's issuer is not the previous link's subject",
			CapError::WrongSigner => "a write cap is not signed by its issuer",
			CapError::UnknownIssuer =>
				"a write cap's issuer is not a registered principal: register it first",
			CapError::ScopeWidened => "a write cap grants more than its issuer holds",
			CapError::Expired => "a write cap in the chain has expired: request a new one",
			CapError::Revoked => "a write cap in the chain was revoked",
			CapError::PathOutsideScope => "the path lies outside the write cap's prefix",
			CapError::WriterNotSubject => "the write cap was granted to another principal",
		})
	}
}

/// What a cap-chain check needs to know about the world besides the chain.
pub trait CapContext {
	/// The current keys of principal `id`, if known.
	fn principal(&self, id: &PrincipalId) -> Option<Principal>;
	/// Whether the cap `id` was revoked.
	fn is_revoked(&self, id: &CapId) -> bool;
	/// Unix time now, in milliseconds.
	fn now_ms(&self) -> u64;
	/// The chain the check is for (its genesis hash): signatures must name it.
	fn chain_tag(&self) -> ChainTag;
}

/// Checks that `writer` may write `path` on the strength of `chain`.
///
/// The owner of a tree (the principal named by the path's first component) writes with an
/// empty chain. Anyone else needs a chain whose first link is issued by the owner, whose every
/// further link is issued by the previous link's subject, each signed with its issuer's current
/// key, each link's prefix inside the one before, none expired or revoked, the last granted to
/// `writer` and covering `path`.
pub fn verify_write_access(
	writer: &PrincipalId,
	path: &BlockPath,
	chain: &[SignedWriteCap],
	ctx: &impl CapContext,
) -> Result<(), CapError> {
	let now_ms = ctx.now_ms();
	let owner = path.root();
	if chain.is_empty() {
		return if *writer == owner { Ok(()) } else { Err(CapError::NoCapability) };
	}
	if chain.len() > MAX_CAP_CHAIN as usize {
		return Err(CapError::ChainTooLong);
	}
	let mut expected_issuer = owner;
	let mut scope = BlockPath::root_of(&owner);
	for link in chain {
		let cap = &link.cap;
		if cap.issuer != expected_issuer {
			return Err(CapError::MissingLink);
		}
		let issuer = ctx.principal(&cap.issuer).ok_or(CapError::UnknownIssuer)?;
		if !issuer.signing.verify(&cap.signing_payload(&ctx.chain_tag()), &link.signature) {
			return Err(CapError::WrongSigner);
		}
		if !cap.prefix.starts_with(&scope) {
			return Err(CapError::ScopeWidened);
		}
		if cap.expires_at <= now_ms {
			return Err(CapError::Expired);
		}
		if ctx.is_revoked(&cap.id()) {
			return Err(CapError::Revoked);
		}
		expected_issuer = cap.subject;
		scope = cap.prefix.clone();
	}
	if expected_issuer != *writer {
		return Err(CapError::WriterNotSubject);
	}
	if !path.starts_with(&scope) {
		return Err(CapError::PathOutsideScope);
	}
	Ok(())
}

/// A [`CapContext`] from what a client knows: principals it has looked up, revocations it has
/// seen, and the time.
#[derive(Clone, Debug, Default)]
pub struct KnownPrincipals {
	principals: alloc::collections::BTreeMap<PrincipalId, Principal>,
	revoked: alloc::collections::BTreeSet<CapId>,
	now_ms: u64,
	chain: ChainTag,
}

impl KnownPrincipals {
	/// An empty directory at time `now_ms`.
	pub fn at(now_ms: u64) -> Self {
		KnownPrincipals { now_ms, ..Default::default() }
	}

	/// The same directory for the chain with genesis hash `chain` (the zero hash until set).
	pub fn on_chain(mut self, chain: ChainTag) -> Self {
		self.chain = chain;
		self
	}

	/// Adds (or updates) a principal's keys.
	pub fn with(mut self, principal: Principal) -> Self {
		self.principals.insert(principal.id(), principal);
		self
	}

	/// Records that principal `id` now has the keys `principal` (after a key rotation, the id
	/// stays and the keys change).
	pub fn set_principal(&mut self, id: PrincipalId, principal: Principal) {
		self.principals.insert(id, principal);
	}

	/// Records a revocation.
	pub fn revoke(&mut self, cap: CapId) {
		self.revoked.insert(cap);
	}

	/// Moves the clock.
	pub fn set_now(&mut self, now_ms: u64) {
		self.now_ms = now_ms;
	}
}

impl CapContext for KnownPrincipals {
	fn principal(&self, id: &PrincipalId) -> Option<Principal> {
		self.principals.get(id).copied()
	}

	fn is_revoked(&self, id: &CapId) -> bool {
		self.revoked.contains(id)
	}

	fn now_ms(&self) -> u64 {
		self.now_ms
	}

	fn chain_tag(&self) -> ChainTag {
		self.chain
	}
}

/// How the fragment index learns that an account may record a block version: the principals
/// registry answers, with the same chain check every client applies.
pub trait BlockWriteAuthority<AccountId> {
	/// `Ok` if `who` controls the principal `header.header.writer`, the header carries that
	/// principal's signature by its current key for this chain, and the writer's cap chain
	/// (`header.header.write_caps`) lets it write `header.header.path` now. The error names the
	/// broken rule (the principals pallet's `NoCapability`, `CapExpired`, ...).
	fn check_block_header(
		who: &AccountId,
		header: &crate::block::SignedBlockHeader,
	) -> Result<(), sp_runtime::DispatchError>;

	/// Benchmark setup only: registers what it takes for `who` to write, and returns a header
	/// signed by a principal `who` controls whose write needs a cap chain of `links` links (0:
	/// its own tree), at a path that differs for each `seed`. `None` where unsupported.
	fn signed_header_for_benchmark(
		_who: &AccountId,
		_seed: u32,
		_links: u32,
	) -> Option<crate::block::SignedBlockHeader> {
		None
	}
}

/// Nobody may write: for runtimes and mocks without a principals registry.
impl<AccountId> BlockWriteAuthority<AccountId> for () {
	fn check_block_header(
		_: &AccountId,
		_: &crate::block::SignedBlockHeader,
	) -> Result<(), sp_runtime::DispatchError> {
		Err(sp_runtime::DispatchError::Other("no principals registry: nobody may record blocks"))
	}
}

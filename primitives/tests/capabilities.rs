//! The write-capability matrix, checked by the client-side verifier (the principals pallet runs
//! the same function in the runtime and has its own tests).

use blocktree_primitives::{
	cap::{
		verify_write_access, CapError, ChainTag, KnownPrincipals, SignedWriteCap, WriteCap,
		MAX_CAP_CHAIN,
	},
	crypto::{KeyScheme, PrincipalKeys},
	path::BlockPath,
};

const NOW: u64 = 1_800_000_000_000;
const LATER: u64 = NOW + 86_400_000;
/// The chain these caps are issued on (its genesis hash).
const CHAIN: ChainTag = sp_core::H256([0xc4; 32]);
/// Another network.
const OTHER_CHAIN: ChainTag = sp_core::H256([0x07; 32]);

fn keys(n: u8, scheme: KeyScheme) -> PrincipalKeys {
	PrincipalKeys::from_seed(scheme, [n; 32])
}

fn cap(issuer: &PrincipalKeys, subject: &PrincipalKeys, prefix: &BlockPath, expires_at: u64) -> SignedWriteCap {
	let cap = WriteCap {
		issuer: issuer.id(),
		subject: subject.id(),
		prefix: prefix.clone(),
		expires_at,
		nonce: 7,
	};
	let signature = issuer.sign(&cap.signing_payload(&CHAIN));
	SignedWriteCap { cap, signature }
}

struct World {
	root: PrincipalKeys,
	bob: PrincipalKeys,
	carol: PrincipalKeys,
	mallory: PrincipalKeys,
	photos: BlockPath,
	photos_2026: BlockPath,
	beach: BlockPath,
}

fn world() -> World {
	let root = keys(1, KeyScheme::Sr25519);
	let photos = BlockPath::root_of(&root.id()).join("photos").unwrap();
	let photos_2026 = photos.join("2026").unwrap();
	let beach = photos_2026.join("beach.jpg").unwrap();
	World {
		root,
		bob: keys(2, KeyScheme::Ed25519),
		carol: keys(3, KeyScheme::Sr25519),
		mallory: keys(4, KeyScheme::Sr25519),
		photos,
		photos_2026,
		beach,
	}
}

impl World {
	/// What a client knows: the four principals, no revocations, the time NOW.
	fn ctx(&self) -> KnownPrincipals {
		KnownPrincipals::at(NOW)
			.on_chain(CHAIN)
			.with(self.root.principal())
			.with(self.bob.principal())
			.with(self.carol.principal())
			.with(self.mallory.principal())
	}
}

#[test]
fn owner_writes_own_tree_without_caps_and_others_need_one() {
	let w = world();
	assert_eq!(verify_write_access(&w.root.id(), &w.beach, &[], &w.ctx()), Ok(()));
	assert_eq!(
		verify_write_access(&w.bob.id(), &w.beach, &[], &w.ctx()),
		Err(CapError::NoCapability)
	);
}

#[test]
fn valid_two_link_chain_is_accepted() {
	let w = world();
	let chain = [cap(&w.root, &w.bob, &w.photos, LATER), cap(&w.bob, &w.carol, &w.photos_2026, LATER)];
	assert_eq!(verify_write_access(&w.carol.id(), &w.beach, &chain, &w.ctx()), Ok(()));
	// Bob's own one-link chain covers the same path.
	assert_eq!(verify_write_access(&w.bob.id(), &w.beach, &chain[..1], &w.ctx()), Ok(()));
}

#[test]
fn missing_link_is_rejected() {
	let w = world();
	// Carol's cap from Bob, without Bob's cap from the root.
	let chain = [cap(&w.bob, &w.carol, &w.photos_2026, LATER)];
	assert_eq!(
		verify_write_access(&w.carol.id(), &w.beach, &chain, &w.ctx()),
		Err(CapError::MissingLink)
	);
}

#[test]
fn wrong_signer_is_rejected() {
	let w = world();
	let mut forged = cap(&w.root, &w.mallory, &w.photos, LATER);
	// Mallory signs a cap that names the root as issuer.
	forged.signature = w.mallory.sign(&forged.cap.signing_payload(&CHAIN));
	assert_eq!(
		verify_write_access(&w.mallory.id(), &w.beach, &[forged], &w.ctx()),
		Err(CapError::WrongSigner)
	);
	// A genuine cap whose fields were altered after signing.
	let mut altered = cap(&w.root, &w.bob, &w.photos, LATER);
	altered.cap.expires_at += 1;
	assert_eq!(
		verify_write_access(&w.bob.id(), &w.beach, &[altered], &w.ctx()),
		Err(CapError::WrongSigner)
	);
}

#[test]
fn scope_widening_is_rejected() {
	let w = world();
	// Bob holds /photos/2026 but grants all of /photos to Carol.
	let chain = [cap(&w.root, &w.bob, &w.photos_2026, LATER), cap(&w.bob, &w.carol, &w.photos, LATER)];
	assert_eq!(
		verify_write_access(&w.carol.id(), &w.beach, &chain, &w.ctx()),
		Err(CapError::ScopeWidened)
	);
	// A root cap over somebody else's tree.
	let elsewhere = BlockPath::root_of(&w.mallory.id()).join("x").unwrap();
	let chain = [cap(&w.root, &w.bob, &elsewhere, LATER)];
	let target = elsewhere.join("y").unwrap();
	assert_eq!(
		verify_write_access(&w.bob.id(), &target, &chain, &w.ctx()),
		Err(CapError::MissingLink),
		"the chain must start at the owner of the path's tree"
	);
}

#[test]
fn expired_link_is_rejected() {
	let w = world();
	let chain = [cap(&w.root, &w.bob, &w.photos, NOW), cap(&w.bob, &w.carol, &w.photos_2026, LATER)];
	assert_eq!(
		verify_write_access(&w.carol.id(), &w.beach, &chain, &w.ctx()),
		Err(CapError::Expired)
	);
}

#[test]
fn revoked_link_is_rejected() {
	let w = world();
	let chain = [cap(&w.root, &w.bob, &w.photos, LATER), cap(&w.bob, &w.carol, &w.photos_2026, LATER)];
	let mut ctx = w.ctx();
	ctx.revoke(chain[1].cap.id());
	assert_eq!(verify_write_access(&w.carol.id(), &w.beach, &chain, &ctx), Err(CapError::Revoked));
}

#[test]
fn path_outside_scope_is_rejected() {
	let w = world();
	let chain = [cap(&w.root, &w.bob, &w.photos_2026, LATER)];
	let other = w.photos.join("2025").unwrap();
	assert_eq!(
		verify_write_access(&w.bob.id(), &other, &chain, &w.ctx()),
		Err(CapError::PathOutsideScope)
	);
}

#[test]
fn unknown_issuer_is_rejected() {
	let w = world();
	let chain = [cap(&w.root, &w.bob, &w.photos, LATER)];
	let ctx = KnownPrincipals::at(NOW).on_chain(CHAIN).with(w.bob.principal());
	assert_eq!(
		verify_write_access(&w.bob.id(), &w.beach, &chain, &ctx),
		Err(CapError::UnknownIssuer)
	);
}

#[test]
fn rotated_keys_invalidate_caps_signed_with_the_old_key() {
	let w = world();
	let chain = [cap(&w.root, &w.bob, &w.photos, LATER)];
	// The root principal's id stays; its current signing key is now another one.
	let mut rotated = w.root.principal();
	rotated.signing = keys(77, KeyScheme::Sr25519).principal().signing;
	let mut ctx = w.ctx();
	ctx.set_principal(w.root.id(), rotated);
	assert_eq!(
		verify_write_access(&w.bob.id(), &w.beach, &chain, &ctx),
		Err(CapError::WrongSigner)
	);
}

#[test]
fn cap_for_someone_else_is_rejected() {
	let w = world();
	let chain = [cap(&w.root, &w.bob, &w.photos, LATER)];
	assert_eq!(
		verify_write_access(&w.mallory.id(), &w.beach, &chain, &w.ctx()),
		Err(CapError::WriterNotSubject)
	);
}

#[test]
fn over_long_chain_is_rejected() {
	let w = world();
	let people: Vec<PrincipalKeys> =
		(10..10 + MAX_CAP_CHAIN as u8 + 1).map(|n| keys(n, KeyScheme::Sr25519)).collect();
	let mut chain = vec![cap(&w.root, &people[0], &w.photos, LATER)];
	for pair in people.windows(2) {
		chain.push(cap(&pair[0], &pair[1], &w.photos, LATER));
	}
	assert_eq!(chain.len(), MAX_CAP_CHAIN as usize + 1);
	let ctx = people.iter().fold(w.ctx(), |ctx, p| ctx.with(p.principal()));
	let last = people.last().unwrap();
	assert_eq!(
		verify_write_access(&last.id(), &w.beach, &chain, &ctx),
		Err(CapError::ChainTooLong)
	);
	// One link shorter is fine.
	let writer = &people[people.len() - 2];
	assert_eq!(
		verify_write_access(&writer.id(), &w.beach, &chain[..MAX_CAP_CHAIN as usize], &ctx),
		Ok(())
	);
}

#[test]
fn cap_signed_for_another_chain_is_refused() {
	let w = world();
	let chain =
		[cap(&w.root, &w.bob, &w.photos, LATER), cap(&w.bob, &w.carol, &w.photos_2026, LATER)];
	assert_eq!(verify_write_access(&w.carol.id(), &w.beach, &chain, &w.ctx()), Ok(()));
	// The same caps presented on another network (or to a client that does not name the
	// chain) do not verify: revocations there know nothing of them.
	let elsewhere = w.ctx().on_chain(OTHER_CHAIN);
	assert_eq!(
		verify_write_access(&w.carol.id(), &w.beach, &chain, &elsewhere),
		Err(CapError::WrongSigner)
	);
	let unnamed = KnownPrincipals::at(NOW).with(w.root.principal()).with(w.bob.principal());
	assert_eq!(
		verify_write_access(&w.bob.id(), &w.beach, &chain[..1], &unnamed),
		Err(CapError::WrongSigner)
	);
}

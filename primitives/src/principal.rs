//! Principals: who is who. A principal is a signing key and an X25519 encryption key; it is
//! known everywhere by its [`PrincipalId`], a hash of both.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::{ed25519, sr25519, H256};
use sp_runtime::traits::Verify;

/// A principal's identity: `blake2_256` of its encoded keys under a domain tag.
pub type PrincipalId = H256;

/// An X25519 public key, to which block keys are wrapped for this principal.
pub type EncryptionKey = [u8; 32];

/// A public signing key of one of the schemes sp-core offers.
#[derive(
	Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub enum SigningKey {
	/// Schnorrkel/Ristretto (the Substrate default).
	Sr25519(sr25519::Public),
	/// Ed25519.
	Ed25519(ed25519::Public),
}

/// A signature by a [`SigningKey`].
#[derive(
	Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub enum Signature {
	/// By an sr25519 key.
	Sr25519(sr25519::Signature),
	/// By an ed25519 key.
	Ed25519(ed25519::Signature),
}

impl SigningKey {
	/// Whether `signature` is this key's signature of `message`. A signature of the other
	/// scheme never verifies.
	pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
		match (self, signature) {
			(SigningKey::Sr25519(key), Signature::Sr25519(sig)) => sig.verify(message, key),
			(SigningKey::Ed25519(key), Signature::Ed25519(sig)) => sig.verify(message, key),
			_ => false,
		}
	}
}

/// A principal's public keys.
#[derive(
	Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct Principal {
	/// Signs blocks, write caps and transactions about this principal.
	pub signing: SigningKey,
	/// Receives read caps: block keys are wrapped to it.
	pub encryption: EncryptionKey,
}

/// Domain tag hashed into every principal id, so that no other hash collides with one.
const PRINCIPAL_ID_DOMAIN: &[u8] = b"blocktree:principal:v1";

impl Principal {
	/// This principal's id.
	pub fn id(&self) -> PrincipalId {
		H256(sp_crypto_hashing::blake2_256(&(PRINCIPAL_ID_DOMAIN, self).encode()))
	}
}

/// Which principal an account acts for: how other pallets learn it from the principals pallet.
pub trait PrincipalOf<AccountId> {
	/// The principal `who` controls, if any.
	fn principal_of(who: &AccountId) -> Option<PrincipalId>;
}

impl<AccountId> PrincipalOf<AccountId> for () {
	fn principal_of(_: &AccountId) -> Option<PrincipalId> {
		None
	}
}

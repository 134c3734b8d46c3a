//! A principal's secret keys: a signing pair and an X25519 static secret, both derived from one
//! 32-byte seed, so that backing up the seed backs up the principal.

use sp_core::{ed25519, sr25519, Pair as _};
use x25519_dalek::{PublicKey as X25519Public, StaticSecret};
use zeroize::Zeroizing;

use crate::principal::{Principal, PrincipalId, Signature, SigningKey};

/// Which signature scheme a principal signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyScheme {
	/// sr25519 (default).
	Sr25519,
	/// ed25519.
	Ed25519,
}

enum SigningPair {
	Sr25519(sr25519::Pair),
	Ed25519(ed25519::Pair),
}

/// A principal's secret keys.
pub struct PrincipalKeys {
	id: PrincipalId,
	scheme: KeyScheme,
	seed: Zeroizing<[u8; 32]>,
	signing: SigningPair,
	encryption: StaticSecret,
}

/// Derives the X25519 secret from the seed with HKDF, so it is independent of the signing key.
fn encryption_secret(seed: &[u8; 32]) -> StaticSecret {
	let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(b"blocktree:x25519"), seed);
	let mut okm = Zeroizing::new([0u8; 32]);
	hk.expand(b"encryption key v1", okm.as_mut()).expect("32 bytes is a valid HKDF length; qed");
	StaticSecret::from(*okm)
}

impl PrincipalKeys {
	/// The keys of the principal with this seed.
	pub fn from_seed(scheme: KeyScheme, seed: [u8; 32]) -> Self {
		let signing = match scheme {
			KeyScheme::Sr25519 => SigningPair::Sr25519(sr25519::Pair::from_seed(&seed)),
			KeyScheme::Ed25519 => SigningPair::Ed25519(ed25519::Pair::from_seed(&seed)),
		};
		let encryption = encryption_secret(&seed);
		let mut keys = PrincipalKeys {
			id: PrincipalId::zero(),
			scheme,
			seed: Zeroizing::new(seed),
			signing,
			encryption,
		};
		keys.id = keys.principal().id();
		keys
	}

	/// These keys acting for the existing principal `id`: after a key rotation the id stays
	/// what it was at registration while the keys change.
	pub fn for_principal(mut self, id: PrincipalId) -> Self {
		self.id = id;
		self
	}

	/// A new principal from the operating system's random source.
	pub fn generate(scheme: KeyScheme) -> Self {
		let mut seed = Zeroizing::new([0u8; 32]);
		getrandom::getrandom(seed.as_mut()).expect("the OS random source is available; qed");
		Self::from_seed(scheme, *seed)
	}

	/// The signature scheme.
	pub fn scheme(&self) -> KeyScheme {
		self.scheme
	}

	/// The seed, for an encrypted backup. Handle with care.
	pub fn seed(&self) -> &[u8; 32] {
		&self.seed
	}

	/// The public half.
	pub fn principal(&self) -> Principal {
		let signing = match &self.signing {
			SigningPair::Sr25519(p) => SigningKey::Sr25519(p.public()),
			SigningPair::Ed25519(p) => SigningKey::Ed25519(p.public()),
		};
		Principal { signing, encryption: X25519Public::from(&self.encryption).to_bytes() }
	}

	/// The principal's id: the hash of its keys at registration.
	pub fn id(&self) -> PrincipalId {
		self.id
	}

	/// Signs `message`.
	pub fn sign(&self, message: &[u8]) -> Signature {
		match &self.signing {
			SigningPair::Sr25519(p) => Signature::Sr25519(p.sign(message)),
			SigningPair::Ed25519(p) => Signature::Ed25519(p.sign(message)),
		}
	}

	/// The X25519 secret, for unwrapping read caps.
	pub(crate) fn encryption_secret(&self) -> &StaticSecret {
		&self.encryption
	}
}

impl core::fmt::Debug for PrincipalKeys {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "PrincipalKeys({:?}, {:?}, secret hidden)", self.scheme, self.id())
	}
}

//! Sector encryption: each sector of a block is sealed on its own, so a random read decrypts
//! only the sectors it touches.

use chacha20poly1305::{
	aead::{Aead, KeyInit, Payload},
	XChaCha20Poly1305, XNonce,
};
use zeroize::Zeroizing;

use crate::path::BlockPath;

/// A block's symmetric key: fresh and random for every block version.
#[derive(Clone, PartialEq, Eq)]
pub struct BlockKey(pub(crate) Zeroizing<[u8; 32]>);

impl BlockKey {
	/// A new random key.
	pub fn generate() -> Self {
		let mut key = Zeroizing::new([0u8; 32]);
		getrandom::getrandom(key.as_mut()).expect("the OS random source is available; qed");
		BlockKey(key)
	}

	/// A key from raw bytes (tests, unwrapped read caps).
	pub fn from_bytes(bytes: [u8; 32]) -> Self {
		BlockKey(Zeroizing::new(bytes))
	}

	/// The raw key.
	pub fn as_bytes(&self) -> &[u8; 32] {
		&self.0
	}
}

impl core::fmt::Debug for BlockKey {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		f.write_str("BlockKey(hidden)")
	}
}

fn nonce(prefix: &[u8; 16], index: u64) -> XNonce {
	let mut n = [0u8; 24];
	n[..16].copy_from_slice(prefix);
	n[16..].copy_from_slice(&index.to_le_bytes());
	XNonce::from(n)
}

/// Binds a sector to its block, version and position: a sector moved elsewhere fails to open.
fn associated_data(path: &BlockPath, version: u64, index: u64) -> [u8; 48] {
	let mut ad = [0u8; 48];
	ad[..32].copy_from_slice(path.hash().as_bytes());
	ad[32..40].copy_from_slice(&version.to_le_bytes());
	ad[40..].copy_from_slice(&index.to_le_bytes());
	ad
}

/// Encrypts sector `index` of `path` at `version`.
pub fn encrypt_sector(
	key: &BlockKey,
	nonce_prefix: &[u8; 16],
	path: &BlockPath,
	version: u64,
	index: u64,
	plaintext: &[u8],
) -> Vec<u8> {
	let cipher = XChaCha20Poly1305::new(key.as_bytes().into());
	let ad = associated_data(path, version, index);
	cipher
		.encrypt(&nonce(nonce_prefix, index), Payload { msg: plaintext, aad: &ad })
		.expect("XChaCha20-Poly1305 encrypts any length below 256 GiB; qed")
}

/// Decrypts sector `index`; `None` if the key is wrong or any byte was altered.
pub fn decrypt_sector(
	key: &BlockKey,
	nonce_prefix: &[u8; 16],
	path: &BlockPath,
	version: u64,
	index: u64,
	ciphertext: &[u8],
) -> Option<Vec<u8>> {
	let cipher = XChaCha20Poly1305::new(key.as_bytes().into());
	let ad = associated_data(path, version, index);
	cipher.decrypt(&nonce(nonce_prefix, index), Payload { msg: ciphertext, aad: &ad }).ok()
}

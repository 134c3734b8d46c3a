//! Read caps: a block key wrapped for one reader's X25519 encryption key.
//!
//! The writer makes an ephemeral X25519 key per cap, agrees a shared secret with the reader's
//! public key, derives a key-encryption key with HKDF-SHA256 (salted with both public keys and
//! bound to the block's path and version) and encrypts the block key with XChaCha20-Poly1305.
//! Only the reader's static secret recovers it.

use chacha20poly1305::{
	aead::{Aead, KeyInit, Payload},
	XChaCha20Poly1305, XNonce,
};
use x25519_dalek::{EphemeralSecret, PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::{BlockKey, PrincipalKeys};
use crate::{
	block::{ReadCap, WRAPPED_KEY_LEN},
	path::BlockPath,
	principal::{Principal, PrincipalId},
};

fn key_encryption_key(
	shared: &[u8; 32],
	ephemeral: &[u8; 32],
	reader: &[u8; 32],
	context: &[u8; 40],
) -> Zeroizing<[u8; 32]> {
	let mut salt = [0u8; 64];
	salt[..32].copy_from_slice(ephemeral);
	salt[32..].copy_from_slice(reader);
	let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(&salt), shared);
	let mut kek = Zeroizing::new([0u8; 32]);
	let mut info = [0u8; 63];
	info[..23].copy_from_slice(b"blocktree:read-cap:v1::");
	info[23..].copy_from_slice(context);
	hk.expand(&info, kek.as_mut()).expect("32 bytes is a valid HKDF length; qed");
	kek
}

fn context(path: &BlockPath, version: u64) -> [u8; 40] {
	let mut c = [0u8; 40];
	c[..32].copy_from_slice(path.hash().as_bytes());
	c[32..].copy_from_slice(&version.to_le_bytes());
	c
}

/// Wraps `key` (of the block at `path`, `version`) for the principal `reader_id` whose current
/// keys are `reader`.
pub fn wrap_block_key(
	key: &BlockKey,
	reader_id: PrincipalId,
	reader: &Principal,
	path: &BlockPath,
	version: u64,
) -> ReadCap {
	let ephemeral = EphemeralSecret::random_from_rng(rand_core::OsRng);
	let ephemeral_public = PublicKey::from(&ephemeral).to_bytes();
	let shared = ephemeral.diffie_hellman(&PublicKey::from(reader.encryption));
	let kek = key_encryption_key(
		shared.as_bytes(),
		&ephemeral_public,
		&reader.encryption,
		&context(path, version),
	);
	let cipher = XChaCha20Poly1305::new(kek.as_ref().into());
	// The key-encryption key is unique to this ephemeral key, so a fixed nonce is safe.
	let wrapped = cipher
		.encrypt(&XNonce::default(), Payload { msg: key.as_bytes(), aad: b"" })
		.expect("32 bytes encrypt; qed");
	let mut wrapped_key = [0u8; WRAPPED_KEY_LEN];
	wrapped_key.copy_from_slice(&wrapped);
	ReadCap { reader: reader_id, ephemeral: ephemeral_public, wrapped_key }
}

/// Unwraps a read cap with the reader's keys; `None` if the cap is not theirs or was altered.
pub fn unwrap_block_key(
	cap: &ReadCap,
	keys: &PrincipalKeys,
	path: &BlockPath,
	version: u64,
) -> Option<BlockKey> {
	let secret: &StaticSecret = keys.encryption_secret();
	let reader_public = PublicKey::from(secret).to_bytes();
	let shared = secret.diffie_hellman(&PublicKey::from(cap.ephemeral));
	let kek = key_encryption_key(shared.as_bytes(), &cap.ephemeral, &reader_public, &context(path, version));
	let cipher = XChaCha20Poly1305::new(kek.as_ref().into());
	let key = cipher.decrypt(&XNonce::default(), Payload { msg: &cap.wrapped_key, aad: b"" }).ok()?;
	let key: [u8; 32] = key.try_into().ok()?;
	Some(BlockKey::from_bytes(key))
}

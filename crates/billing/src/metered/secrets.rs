//! Source secrets at rest: sealed with XChaCha20-Poly1305 under the installation's key.
//!
//! A sealed value is `2 ‖ key id (8 bytes) ‖ nonce (24 bytes) ‖ ciphertext with its tag`, the
//! version byte and key id authenticated with it: a value sealed with another key is told apart
//! from a damaged one, and names the key it needs. Values of version 1 (`1 ‖ nonce ‖
//! ciphertext`, before key ids) are still read. The key is 32 random bytes, written as base64 in
//! `METER_SECRET_KEY` or in a key file (the binary decides where it comes from).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use std::fmt;

const VERSION: u8 = 2;
/// Sealed before key ids were recorded.
const VERSION_1: u8 = 1;
const ID: usize = 8;
const NONCE: usize = 24;

/// Names a key without giving anything of it away: the first 8 bytes of a SHA-256 of the key,
/// shown as 16 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId([u8; ID]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Why a key or a sealed value is unusable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("the secret key is not 32 bytes of base64 (generate one with `openssl rand -base64 32`)")]
    BadKey,
    /// Sealed with another key: `sealed_with` names it (`None`: sealed before key ids, or
    /// damaged).
    #[error("{}, and this key is {this}", match sealed_with {
        Some(id) => format!("they are sealed with key {id}"),
        None => "they are sealed with another key (or damaged)".to_owned(),
    })]
    OtherKey { sealed_with: Option<KeyId>, this: KeyId },
    #[error("they are damaged (they do not open with key {0}, which sealed them)")]
    Damaged(KeyId),
}

/// The installation's key. Its `Debug` shows only its id.
#[derive(Clone)]
pub struct SecretKey {
    key: Key,
    id: KeyId,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.id)
    }
}

/// The id a sealed value records (`None`: sealed before key ids, or not a sealed value).
pub fn sealed_with(sealed: &[u8]) -> Option<KeyId> {
    match sealed {
        [VERSION, rest @ ..] if rest.len() > ID + NONCE => rest[..ID].try_into().ok().map(KeyId),
        _ => None,
    }
}

impl SecretKey {
    fn new(key: Key) -> SecretKey {
        let digest = Sha256::new().chain_update(b"meter secret key id\0").chain_update(key.as_slice()).finalize();
        let mut id = [0; ID];
        id.copy_from_slice(&digest[..ID]);
        SecretKey { key, id: KeyId(id) }
    }

    /// A new random key.
    pub fn generate() -> SecretKey {
        SecretKey::new(XChaCha20Poly1305::generate_key(&mut OsRng))
    }

    /// Reads a key written by [`SecretKey::encode`] (white space around it is ignored).
    pub fn parse(text: &str) -> Result<SecretKey, SecretError> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| SecretError::BadKey)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| SecretError::BadKey)?;
        Ok(SecretKey::new(bytes.into()))
    }

    /// The key as base64, for a key file.
    pub fn encode(&self) -> String {
        STANDARD.encode(self.key.as_slice())
    }

    pub fn id(&self) -> KeyId {
        self.id
    }

    /// Seals `plain` with a fresh random nonce.
    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + ID + NONCE + plain.len() + 16);
        out.push(VERSION);
        out.extend_from_slice(&self.id.0);
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let cipher = XChaCha20Poly1305::new(&self.key);
        // Encryption into a Vec fails only when the buffer cannot grow, which aborts anyway.
        let sealed = cipher.encrypt(&nonce, Payload { msg: plain, aad: &out }).unwrap_or_default();
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a value sealed with this key; one sealed with another key, or damaged, is refused.
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, SecretError> {
        let other = |sealed_with| SecretError::OtherKey { sealed_with, this: self.id };
        let cipher = XChaCha20Poly1305::new(&self.key);
        match sealed {
            [VERSION, rest @ ..] if rest.len() > ID + NONCE => {
                let (header, rest) = sealed.split_at(1 + ID);
                if header[1..] != self.id.0 {
                    return Err(other(sealed_with(sealed)));
                }
                let (nonce, body) = rest.split_at(NONCE);
                cipher
                    .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: header })
                    .map_err(|_| SecretError::Damaged(self.id))
            }
            [VERSION_1, rest @ ..] if rest.len() > NONCE => {
                let (nonce, body) = rest.split_at(NONCE);
                cipher.decrypt(XNonce::from_slice(nonce), body).map_err(|_| other(None))
            }
            _ => Err(other(None)),
        }
    }

    /// Whether this key sealed `sealed` (damaged or not).
    pub fn seals(&self, sealed: &[u8]) -> bool {
        !matches!(self.open(sealed), Err(SecretError::OtherKey { .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_with_their_key_only() {
        let key = SecretKey::generate();
        let sealed = key.seal(b"hunter2-password");
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"), "the secret must not appear in clear");
        assert_eq!(key.open(&sealed).expect("open"), b"hunter2-password");
        assert_ne!(key.seal(b"hunter2-password"), sealed, "every seal has its own nonce");
        let other = SecretKey::generate();
        assert_eq!(other.open(&sealed), Err(SecretError::OtherKey { sealed_with: Some(key.id()), this: other.id() }));
        assert!(key.seals(&sealed) && !other.seals(&sealed));
        let mut damaged = sealed.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        assert_eq!(key.open(&damaged), Err(SecretError::Damaged(key.id())));
        assert_eq!(key.open(&[]), Err(SecretError::OtherKey { sealed_with: None, this: key.id() }));
    }

    #[test]
    fn a_sealed_value_names_its_key_and_cannot_be_given_another_name() {
        let key = SecretKey::generate();
        let sealed = key.seal(b"x");
        assert_eq!(sealed_with(&sealed), Some(key.id()));
        assert_eq!(key.id().to_string().len(), 16);
        assert_eq!(SecretKey::parse(&key.encode()).expect("parse").id(), key.id(), "the id is the key's");
        assert_ne!(SecretKey::generate().id(), key.id());
        // The id is authenticated: a value relabelled with this key's id does not open.
        let other = SecretKey::generate();
        let mut relabelled = other.seal(b"x");
        relabelled[1..1 + ID].copy_from_slice(&key.id().0);
        assert_eq!(key.open(&relabelled), Err(SecretError::Damaged(key.id())));
    }

    #[test]
    fn values_sealed_before_key_ids_still_open() {
        let key = SecretKey::generate();
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let body = XChaCha20Poly1305::new(&key.key).encrypt(&nonce, &b"old secret"[..]).expect("encrypt");
        let old = [&[VERSION_1][..], &nonce, &body].concat();
        assert_eq!(key.open(&old).expect("open"), b"old secret");
        assert_eq!(sealed_with(&old), None);
        let other = SecretKey::generate();
        assert_eq!(other.open(&old), Err(SecretError::OtherKey { sealed_with: None, this: other.id() }));
        assert!(key.seals(&old) && !other.seals(&old));
    }

    #[test]
    fn keys_round_trip_as_base64_and_bad_ones_are_refused() {
        let key = SecretKey::generate();
        let again = SecretKey::parse(&format!(" {}\n", key.encode())).expect("parse");
        assert_eq!(again.open(&key.seal(b"x")).expect("open"), b"x");
        assert_eq!(SecretKey::parse("c2hvcnQ=").map(|_| ()), Err(SecretError::BadKey));
        assert_eq!(SecretKey::parse("not base64!").map(|_| ()), Err(SecretError::BadKey));
        assert_eq!(format!("{key:?}"), format!("SecretKey({})", key.id()));
    }
}

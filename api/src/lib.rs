//! Wire types that the desktop app and the sync server share.
//!
//! This crate holds plain serde types and nothing else: no I/O, no HTTP. The kind of a
//! library item is shared by the desktop index; the rest is the sync server's JSON API
//! (`/v1/…`). With the `openapi` feature the types also describe themselves for the
//! server's OpenAPI document.

use serde::{Deserialize, Serialize};

mod server;
pub use server::*;

/// What a library item is: a still photo or a video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Photo,
    Video,
}

impl MediaKind {
    /// The lowercase word used on the wire and in the index (`photo` or `video`).
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Photo => "photo",
            MediaKind::Video => "video",
        }
    }

    /// Parses the word written by [`MediaKind::as_str`].
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "photo" => Some(MediaKind::Photo),
            "video" => Some(MediaKind::Video),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_words_round_trip() {
        for kind in [MediaKind::Photo, MediaKind::Video] {
            assert_eq!(MediaKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(MediaKind::parse("sound"), None);
    }
}

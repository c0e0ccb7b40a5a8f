//! What a library item is: a still photo or a video. It is the desktop index's word and
//! never crosses the wire (the server knows an item by its `picup_api::MediaType`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Photo,
    Video,
}

impl MediaKind {
    /// The lowercase word stored in the index and sent to the page (`photo` or `video`).
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

//! The objects stored for one photo or video: the original and the two images made
//! from it. The name is on the wire (upload targets, variant sizes) and is the last part
//! of each object's key in the store.

use std::fmt;

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ObjectName {
    /// The file as it came from the camera, byte for byte.
    Original,
    /// A small JPEG for album grids.
    Thumbnail,
    /// A screen-sized JPEG for the viewer.
    Preview,
    /// A video's copy that every browser plays (H.264 and AAC in MP4, at most 1080p),
    /// made by the server when the original might not play everywhere.
    #[serde(rename = "web")]
    WebCopy,
}

impl ObjectName {
    /// Every object of an item, the original first.
    pub const ALL: [ObjectName; 4] = [
        ObjectName::Original,
        ObjectName::Thumbnail,
        ObjectName::Preview,
        ObjectName::WebCopy,
    ];

    /// The images made from an original.
    pub const VARIANTS: [ObjectName; 2] = [ObjectName::Thumbnail, ObjectName::Preview];

    pub fn as_str(self) -> &'static str {
        match self {
            ObjectName::Original => "original",
            ObjectName::Thumbnail => "thumbnail",
            ObjectName::Preview => "preview",
            ObjectName::WebCopy => "web",
        }
    }

    pub fn parse(word: &str) -> Option<ObjectName> {
        Self::ALL.into_iter().find(|name| name.as_str() == word)
    }
}

impl fmt::Display for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_on_the_wire_are_the_words_of_the_keys() {
        for name in ObjectName::ALL {
            assert_eq!(ObjectName::parse(name.as_str()), Some(name));
            assert_eq!(
                serde_json::to_string(&name).unwrap(),
                format!("\"{}\"", name.as_str())
            );
        }
        assert_eq!(ObjectName::parse("poster"), None);
    }
}

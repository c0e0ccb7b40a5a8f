//! Wire types that the desktop app and the sync server share.
//!
//! This crate holds plain serde types and pure tables, and nothing else: no I/O, no
//! HTTP. Both sides speak one vocabulary through it: the sync server's JSON API
//! (`/v1/…`), its stable [`ErrorCode`]s, the [`ObjectName`]s stored for an item and the
//! [`MediaType`]s Pic-up keeps. With the `openapi` feature the types also describe
//! themselves for the server's OpenAPI document.

mod error_code;
mod invitation;
mod media_type;
mod object_name;
mod server;
mod trash;

pub use error_code::ErrorCode;
pub use invitation::{INVITATION_SCHEME, Invitation, InvitationProblem, MAX_INVITATION_LENGTH};
pub use media_type::{MediaType, UNKNOWN_PHOTO_MIME, UNKNOWN_VIDEO_MIME};
pub use object_name::ObjectName;
pub use server::*;
pub use trash::*;

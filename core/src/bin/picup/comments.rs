//! `picup cloud comments` and `picup cloud remove-comment`: what the family wrote under
//! an album's photos, read and removed through the owner's routes.

use picup_core::Library;
use serde_json::json;

use crate::cloud::signed_in_client;

pub fn list(library: &Library, album: i64, as_json: bool) -> anyhow::Result<()> {
    let client = signed_in_client(library)?;
    let Some(remote) = library.index()?.remote_album(album)? else {
        anyhow::bail!("This album is not in the family cloud yet.");
    };
    let comments = client.album_comments(&remote)?;
    if as_json {
        println!("{}", json!(comments));
    } else if comments.is_empty() {
        println!("No comments on this album yet.");
    } else {
        for comment in comments {
            println!("{}: {} ({})", comment.name, comment.text, comment.id);
        }
    }
    Ok(())
}

pub fn remove(library: &Library, comment: &str) -> anyhow::Result<()> {
    signed_in_client(library)?.delete_comment(comment)?;
    println!("The comment is removed; the family no longer sees it.");
    Ok(())
}

//! The Pic-up sync server. Its accounts, quotas, uploads and sharing arrive with the
//! sync-server issue; until then this binary only says so, plainly.

fn main() {
    eprintln!(
        "picup-server is not built yet: the desktop app works fully offline for now. \
         Its own issue adds accounts, uploads and sharing."
    );
    std::process::exit(2);
}

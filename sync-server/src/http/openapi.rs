//! The OpenAPI document, generated from the handlers' annotations and the wire types.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::handlers;
use picup_api as api;

#[derive(OpenApi)]
#[openapi(
    info(title = "Pic-up sync server", description = "Accounts, albums and direct-to-S3 uploads for the Pic-up family photo app."),
    paths(
        handlers::sign_in, handlers::sign_out, handlers::me, handlers::change_me, handlers::set_family_digest,
        handlers::create_album, handlers::list_albums, handlers::get_album,
        handlers::change_album, handlers::delete_album, handlers::album_photos,
        handlers::delete_photo, handlers::changes,
        handlers::reserve_upload, handlers::complete_upload, handlers::abort_upload,
        handlers::upload_targets,
        super::share::create_share, super::share::list_shares, super::share::revoke_share,
        super::share::change_share,
        super::trash::remove_from_album, super::trash::trash, super::trash::restore,
        super::trash::empty,
        super::contribute::reserve, super::contribute::targets, super::contribute::complete,
        super::subscriptions::subscribe,
        super::responses::family_responses, super::responses::heart,
        super::responses::take_heart_back, super::responses::comment,
        super::responses::delete_own_comment, super::responses::owner_responses,
        super::responses::owner_delete_comment, super::responses::owner_album_comments,
        handlers::healthz, handlers::readyz, handlers::metrics,
    ),
    components(schemas(
        api::ErrorBody, api::SignIn, api::SessionToken, api::Account, api::AccountChanges, api::FamilyDigestSwitch, api::NewAlbum,
        api::AlbumChanges, api::Album, api::AlbumCover, api::AlbumPage, api::Change, api::ChangeKind, api::ChangePage, api::VariantSize, api::NewUpload,
        api::UploadTarget, api::UploadPart, api::UploadTicket, api::CompleteUpload,
        api::CompletedPart, api::AlreadyStored, api::UploadCompleted,
        api::Photo, api::PhotoUrls, api::PhotoPage, api::NewShare, api::ShareLink,
        api::ShareLinks, api::ShareChanges, api::SharedPage, api::Trash, api::TrashedAlbum, api::TrashedPhoto,
        api::AlbumPhoto, api::TrashItems, api::TrashDone, api::NewContribution,
        api::NewSubscription, api::SubscriptionAsked,
        api::PhotoResponses, api::Comment, api::NewComment, api::CommentPage,
    )),
    modifiers(&BearerToken),
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as JSON text (built once).
pub fn document() -> &'static str {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| {
        ApiDoc::openapi()
            .to_json()
            .expect("the OpenAPI document serialises")
    })
}

//! Downloads under the photo's own name: the `Content-Disposition` a download URL asks the
//! edge for, as the `response-content-disposition` query parameter S3 and CloudFront know.
//! The parameter is part of what is signed, so nobody can change the name or the type of
//! answer a URL gives.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The one query parameter, besides the signature's own, that a signed URL may carry.
pub const DISPOSITION_PARAMETER: &str = "response-content-disposition";

/// Everything but RFC 3986's unreserved characters: what stays is safe in a query and is
/// RFC 5987's `attr-char`.
const ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `attachment; filename="<stand-in>"; filename*=UTF-8''<the name, percent-encoded>`.
/// Browsers read `filename*` and save under the exact name. The quoted stand-in is for
/// those that do not: `_` replaces whatever could end the quotes or the header (`"`, `\`,
/// control characters) or is not ASCII, and `%`, which some browsers decode there.
pub fn attachment(file_name: &str) -> String {
    let stand_in: String = file_name
        .chars()
        .map(|c| match c {
            '"' | '\\' | '%' => '_',
            ' '..='~' => c,
            _ => '_',
        })
        .collect();
    format!(
        "attachment; filename=\"{stand_in}\"; filename*=UTF-8''{}",
        utf8_percent_encode(file_name, ENCODED)
    )
}

/// The query that asks for [`attachment`]: `response-content-disposition=<encoded>`.
pub fn download_query(file_name: &str) -> String {
    format!(
        "{DISPOSITION_PARAMETER}={}",
        utf8_percent_encode(&attachment(file_name), ENCODED)
    )
}

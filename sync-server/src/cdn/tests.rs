//! The signer and the verifier checked against each other and against CloudFront's
//! rules.

use super::*;

fn signer() -> CdnSigner {
    let (private, _) = generate_rsa_pem().unwrap();
    CdnSigner::from_pem(
        private.as_bytes(),
        "KTESTKEY",
        "http://edge.test",
        Duration::from_secs(3600),
    )
    .unwrap()
}

fn params_of(url: &str) -> (String, SignedParams) {
    let (resource, query) = url.split_once('?').unwrap();
    (resource.to_owned(), signing_params(query))
}

fn signing_params(query: &str) -> SignedParams {
    SignedRequest::parse("", query).unwrap().params
}

#[test]
fn a_signed_url_verifies_only_for_its_viewer_object_and_time() {
    let signer = signer();
    let mut verifier = CdnVerifier::new();
    verifier.trust("KTESTKEY", signer.public_key());
    let viewer: IpAddr = "203.0.113.7".parse().unwrap();
    let now = 1_750_000_000;
    let url = signer.sign("abc/original", viewer, now);
    let (resource, params) = params_of(&url);
    assert_eq!(resource, "http://edge.test/cdn/abc/original");
    let ends = verifier.verify(&resource, &params, viewer, now).unwrap();
    assert!(ends > now + 3600 && ends <= now + 7200);
    assert_eq!(verifier.signatures_remembered(), 1);
    // From here on the signature is remembered; every other check still runs.
    let stranger: IpAddr = "203.0.113.8".parse().unwrap();
    assert_eq!(
        verifier.verify(&resource, &params, stranger, now),
        Err(Denied::WrongAddress)
    );
    assert_eq!(
        verifier.verify(&resource, &params, viewer, ends),
        Err(Denied::Expired)
    );
    assert_eq!(
        verifier.verify("http://edge.test/cdn/abc/preview", &params, viewer, now),
        Err(Denied::WrongResource)
    );
    let mut tampered = signing_params(url.split_once('?').unwrap().1);
    let mut signature = tampered.signature.take().unwrap();
    let last = signature.pop().unwrap();
    signature.push(if last == 'A' { 'B' } else { 'A' });
    tampered.signature = Some(signature);
    assert!(verifier.verify(&resource, &tampered, viewer, now).is_err());
    let mut unknown = signing_params(url.split_once('?').unwrap().1);
    unknown.key_pair_id = Some("KOTHER".into());
    assert_eq!(
        verifier.verify(&resource, &unknown, viewer, now),
        Err(Denied::UnknownKey)
    );
}

#[test]
fn only_good_signatures_are_remembered_and_only_under_their_key_and_digest() {
    let signer = signer();
    let mut verifier = CdnVerifier::new();
    verifier.trust("KTESTKEY", signer.public_key());
    let viewer: IpAddr = "203.0.113.7".parse().unwrap();
    let now = 1_750_000_000;
    let url = signer.sign("abc/original", viewer, now);
    let (resource, params) = params_of(&url);
    let mut forged = signing_params(url.split_once('?').unwrap().1);
    let mut signature = forged.signature.take().unwrap().into_bytes();
    signature[10] = if signature[10] == b'A' { b'B' } else { b'A' };
    forged.signature = Some(String::from_utf8(signature).unwrap());
    for _ in 0..3 {
        assert_eq!(
            verifier.verify(&resource, &forged, viewer, now),
            Err(Denied::BadSignature)
        );
    }
    assert_eq!(
        verifier.signatures_remembered(),
        0,
        "forgeries are not kept"
    );
    let ends = verifier.verify(&resource, &params, viewer, now).unwrap();
    assert_eq!(verifier.verify(&resource, &params, viewer, now), Ok(ends));
    assert_eq!(verifier.signatures_remembered(), 1);
    let mut sha256 = signing_params(url.split_once('?').unwrap().1);
    sha256.hash_algorithm = Some("SHA256".into());
    assert_eq!(
        verifier.verify(&resource, &sha256, viewer, now),
        Err(Denied::BadSignature),
        "the same bytes under another digest are checked afresh"
    );
    // A key that replaces the one an id named forgets what the old key vouched for.
    verifier.trust("KTESTKEY", self::signer().public_key());
    assert_eq!(
        verifier.verify(&resource, &params, viewer, now),
        Err(Denied::BadSignature)
    );
}

#[test]
fn the_same_url_comes_back_within_a_window_without_signing_again() {
    let signer = signer();
    let viewer: IpAddr = "198.51.100.1".parse().unwrap();
    let first = signer.sign("k/thumbnail", viewer, 7_200);
    assert_eq!(signer.sign("k/thumbnail", viewer, 7_300), first);
    assert_eq!(signer.signatures_made(), 1);
    assert_ne!(
        signer.sign("k/thumbnail", viewer, 10_800),
        first,
        "a new window"
    );
    assert_ne!(
        signer.sign("k/thumbnail", "198.51.100.2".parse().unwrap(), 10_800),
        first
    );
    assert_eq!(signer.signatures_made(), 3);
}

#[test]
fn the_cache_stays_within_its_bound() {
    let mut signer = signer();
    signer.max_cached = 10;
    let viewer: IpAddr = "198.51.100.1".parse().unwrap();
    for n in 0..25 {
        signer.sign(&format!("{n}/thumbnail"), viewer, 7_200);
    }
    assert!(signer.cache.lock().unwrap().urls.len() <= 10);
    let again = signer.sign("24/thumbnail", viewer, 7_200);
    assert_eq!(
        signer.signatures_made(),
        25,
        "recent URLs still come from the cache"
    );
    assert!(again.contains("/cdn/24/thumbnail?"));
}

#[test]
fn ecdsa_keys_and_sha256_verify_too() {
    let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(openssl::ec::EcKey::generate(&group).unwrap()).unwrap();
    let pem = key.private_key_to_pem_pkcs8().unwrap();
    let signer =
        CdnSigner::from_pem(&pem, "KEC", "http://edge.test", Duration::from_secs(600)).unwrap();
    let mut verifier = CdnVerifier::new();
    verifier.trust("KEC", signer.public_key());
    let viewer: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
    let url = signer.sign("x/original", viewer, 1_000_000);
    assert!(url.ends_with("&Hash-Algorithm=SHA256"));
    let (resource, params) = params_of(&url);
    let same_64: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
    assert!(
        verifier
            .verify(&resource, &params, same_64, 1_000_000)
            .is_ok(),
        "IPv6 binds the /64"
    );
    let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
    assert_eq!(
        verifier.verify(&resource, &params, other_64, 1_000_000),
        Err(Denied::WrongAddress)
    );
}

#[test]
fn rsa_keys_can_sign_with_sha256_too() {
    let signer = signer().with_sha256();
    let mut verifier = CdnVerifier::new();
    verifier.trust("KTESTKEY", signer.public_key());
    let viewer: IpAddr = "192.0.2.1".parse().unwrap();
    let url = signer.sign("y/preview", viewer, 5_000_000);
    assert!(url.ends_with("&Hash-Algorithm=SHA256"));
    let (resource, mut params) = params_of(&url);
    assert!(
        verifier
            .verify(&resource, &params, viewer, 5_000_000)
            .is_ok()
    );
    params.hash_algorithm = None;
    assert_eq!(
        verifier.verify(&resource, &params, viewer, 5_000_000),
        Err(Denied::BadSignature),
        "the digest named is the digest checked"
    );
}

#[test]
fn patterns_networks_and_encoding_follow_cloudfront() {
    assert!(wildcard_match("http://a/cdn/*", "http://a/cdn/x/original"));
    assert!(wildcard_match(
        "http://a/cdn/?/original",
        "http://a/cdn/x/original"
    ));
    assert!(!wildcard_match("http://a/cdn/x", "http://a/cdn/xy"));
    assert!(cidr_contains("10.1.2.0/24", "10.1.2.200".parse().unwrap()));
    assert!(!cidr_contains("10.1.2.0/24", "10.1.3.1".parse().unwrap()));
    assert!(cidr_contains("0.0.0.0/0", "8.8.8.8".parse().unwrap()));
    assert_eq!(cloudfront_base64(&[0xfb, 0xff]), "-~8_");
    assert_eq!(cloudfront_base64_decode("-~8_").unwrap(), vec![0xfb, 0xff]);
    assert_eq!(
        custom_policy("http://a/b", 5, Some("1.2.3.4/32")),
        r#"{"Statement":[{"Resource":"http://a/b","Condition":{"DateLessThan":{"AWS:EpochTime":5},"IpAddress":{"AWS:SourceIp":"1.2.3.4/32"}}}]}"#
    );
}

/// The query value and `filename*` of a download, decoded as a browser would.
fn percent_decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

#[test]
fn a_download_name_survives_quotes_backslashes_line_breaks_and_any_script() {
    for name in [
        "Oma's \"Geburtstag\" ü.jpg",
        "back\\slash.jpg",
        "line\r\nbreak.jpg",
        "100% 🎂 عيد.heic",
        "plain.jpg",
    ] {
        let header = disposition::attachment(name);
        assert!(
            axum::http::HeaderValue::from_str(&header).is_ok(),
            "{header:?}"
        );
        let (stand_in, exact) = header
            .strip_prefix("attachment; filename=\"")
            .and_then(|rest| rest.split_once("\"; filename*=UTF-8''"))
            .unwrap_or_else(|| panic!("{header:?}"));
        assert!(
            stand_in
                .chars()
                .all(|c| c.is_ascii() && !c.is_ascii_control() && !"\"\\%".contains(c)),
            "{stand_in:?}"
        );
        assert_eq!(stand_in.chars().count(), name.chars().count());
        assert_eq!(
            percent_decoded(exact),
            name,
            "filename* gives the name back"
        );
        assert!(!exact.contains([' ', '\'', '"', ';', '\\', '\r', '\n']));
    }
    assert_eq!(
        disposition::attachment("Oma's \"Geburtstag\" ü.jpg"),
        "attachment; filename=\"Oma's _Geburtstag_ _.jpg\"; \
         filename*=UTF-8''Oma%27s%20%22Geburtstag%22%20%C3%BC.jpg"
    );
}

#[test]
fn a_download_url_is_signed_over_its_name_and_cached_per_name() {
    let signer = signer();
    let mut verifier = CdnVerifier::new();
    verifier.trust("KTESTKEY", signer.public_key());
    let viewer: IpAddr = "203.0.113.7".parse().unwrap();
    let now = 1_750_000_000;
    let url = signer.sign_download("abc/original", "Oma ü.jpg", viewer, now);
    let (object_url, query) = url.split_once('?').unwrap();
    assert_eq!(object_url, "http://edge.test/cdn/abc/original");
    assert!(
        query.starts_with("response-content-disposition=attachment%3B%20filename%3D%22Oma%20_.jpg%22%3B%20filename%2A%3DUTF-8%27%27Oma%2520%25C3%25BC.jpg&Policy="),
        "{query}"
    );
    let request = SignedRequest::parse(object_url, query).unwrap();
    assert_eq!(
        request.disposition.as_deref(),
        Some("attachment; filename=\"Oma _.jpg\"; filename*=UTF-8''Oma%20%C3%BC.jpg")
    );
    assert!(
        request
            .resource
            .starts_with("http://edge.test/cdn/abc/original?response-")
    );
    assert!(
        verifier
            .verify(&request.resource, &request.params, viewer, now)
            .is_ok()
    );
    // The same name in the same window: the cached URL; another name: another signature.
    assert_eq!(
        signer.sign_download("abc/original", "Oma ü.jpg", viewer, now + 1),
        url
    );
    assert_eq!(signer.signatures_made(), 1);
    let other = signer.sign_download("abc/original", "Opa.jpg", viewer, now);
    assert_ne!(other, url);
    assert_ne!(signer.sign("abc/original", viewer, now), url);
    assert_eq!(signer.signatures_made(), 3);
    // Another name under this signature, or none, is not what was signed.
    let renamed = query.replace("Oma%2520%25C3%25BC", "evil.html");
    let request = SignedRequest::parse(object_url, &renamed).unwrap();
    assert_eq!(
        verifier.verify(&request.resource, &request.params, viewer, now),
        Err(Denied::WrongResource)
    );
    let without = query.split_once('&').unwrap().1;
    let request = SignedRequest::parse(object_url, without).unwrap();
    assert_eq!(request.disposition, None);
    assert_eq!(
        verifier.verify(&request.resource, &request.params, viewer, now),
        Err(Denied::WrongResource)
    );
}

#[test]
fn only_the_signature_and_a_download_name_may_be_in_the_query() {
    let object = "http://edge.test/cdn/k/original";
    let split = SignedRequest::parse(
        object,
        "response-content-disposition=a%20b+c&Policy=P&Signature=S&Key-Pair-Id=K",
    )
    .unwrap();
    assert_eq!(
        split.resource, "http://edge.test/cdn/k/original?response-content-disposition=a%20b+c",
        "kept as it came"
    );
    assert_eq!(split.disposition.as_deref(), Some("a b c"));
    assert_eq!(split.params.policy.as_deref(), Some("P"));
    assert_eq!(split.params.key_pair_id.as_deref(), Some("K"));
    let plain = SignedRequest::parse(object, "Expires=5&Signature=S&Key-Pair-Id=K").unwrap();
    assert_eq!(plain.resource, object);
    assert_eq!(SignedRequest::parse(object, "").unwrap().resource, object);
    for refused in [
        "Policy=P&Signature=S&Key-Pair-Id=K&x=1",
        "x&Policy=P",
        "Policy=P&&Signature=S",
        "Policy=P&",
        "response-content-type=text/html&Policy=P",
    ] {
        assert_eq!(
            SignedRequest::parse(object, refused).unwrap_err(),
            Denied::UnexpectedParameter,
            "{refused}"
        );
    }
    for refused in [
        "Policy=P&Policy=Q",
        "response-content-disposition=a&response-content-disposition=a",
        "Signature=%FF",
    ] {
        assert_eq!(
            SignedRequest::parse(object, refused).unwrap_err(),
            Denied::Malformed,
            "{refused}"
        );
    }
}

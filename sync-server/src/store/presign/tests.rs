//! Our signatures against the SDK's: the same inputs give the same address, to the
//! letter (path, query parameters in the same order, the signature among them), and
//! the same headers to send.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::presigning::PresigningConfig;

use super::super::{ObjectStore, Presigned, StoreSettings, sdk_client};
use super::{Base, PROBE_KEY, PutRequest, Signer};

fn settings(endpoint: Option<&str>, path_style: bool, region: &str) -> StoreSettings {
    StoreSettings {
        endpoint: endpoint.map(str::to_owned),
        public_endpoint: None,
        region: region.to_owned(),
        bucket: "family-photos".to_owned(),
        access_key_id: "AKIDEXAMPLE".to_owned(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_owned(),
        path_style,
        checksums: true,
    }
}

async fn by_sdk(settings: &StoreSettings, request: &PutRequest<'_>) -> Presigned {
    let client = sdk_client(settings, settings.endpoint.as_ref());
    let config = PresigningConfig::builder()
        .start_time(request.signed_at)
        .expires_in(request.valid_for)
        .build()
        .unwrap();
    let presigned = match request.part {
        Some((upload_id, number)) => client
            .upload_part()
            .bucket(&settings.bucket)
            .key(request.key)
            .upload_id(upload_id)
            .part_number(number)
            .content_length(request.size)
            .presigned(config)
            .await
            .unwrap(),
        None => {
            let mut put = client
                .put_object()
                .bucket(&settings.bucket)
                .key(request.key)
                .content_length(request.size);
            if let Some(content_type) = request.content_type {
                put = put.content_type(content_type);
            }
            if let Some(checksum) = request.checksum_sha256 {
                put = put.checksum_sha256(checksum);
            }
            put.presigned(config).await.unwrap()
        }
    };
    Presigned::from(&presigned)
}

async fn by_us(settings: &StoreSettings, request: &PutRequest<'_>) -> Presigned {
    let probe = by_sdk(
        settings,
        &PutRequest {
            key: PROBE_KEY,
            content_type: None,
            checksum_sha256: None,
            part: None,
            ..*request
        },
    )
    .await;
    let base = Base::from_probe(&probe.url).expect("the probe's address has a base");
    let signer = Signer::new(
        &settings.access_key_id,
        &settings.secret_access_key,
        &settings.region,
    );
    signer.presign(&base, request)
}

async fn assert_same(settings: &StoreSettings, request: &PutRequest<'_>) {
    let (sdk, ours) = (
        by_sdk(settings, request).await,
        by_us(settings, request).await,
    );
    assert_eq!(ours.method, sdk.method);
    // The same text, order included: SeaweedFS refuses the parameters in another order.
    assert_eq!(ours.url, sdk.url);
    assert_eq!(ours.headers, sdk.headers);
}

#[tokio::test]
async fn our_signatures_are_the_sdks_for_every_kind_of_address_and_request() {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_599); // 2025-12-31 23:59:59
    let stores = [
        settings(Some("http://127.0.0.1:9000"), true, "us-east-1"),
        settings(Some("https://objects.example.org"), false, "eu-west-2"),
        settings(Some("https://objects.example.org:8443/"), true, "auto"),
        settings(None, false, "eu-central-1"),
    ];
    let keys = ["0a1b2c/original", "a b/ü+%&=.jpg", "~/-_./x"];
    for store in &stores {
        for key in keys {
            let put = PutRequest {
                key,
                size: 3_000_000,
                content_type: Some("image/jpeg"),
                checksum_sha256: Some("n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="),
                part: None,
                valid_for: Duration::from_secs(900),
                signed_at: at,
            };
            assert_same(store, &put).await;
            assert_same(
                store,
                &PutRequest {
                    checksum_sha256: None,
                    ..put
                },
            )
            .await;
            assert_same(
                store,
                &PutRequest {
                    content_type: Some("video/mp4;  codecs=avc1"),
                    ..put
                },
            )
            .await;
            let part = PutRequest {
                content_type: None,
                checksum_sha256: None,
                part: Some(("2~ab/c+d==", 7)),
                size: 8 << 20,
                ..put
            };
            assert_same(store, &part).await;
        }
    }
}

#[tokio::test]
async fn a_new_day_gets_a_new_signing_key() {
    let store = settings(Some("http://127.0.0.1:9000"), true, "us-east-1");
    let signer = Signer::new(
        &store.access_key_id,
        &store.secret_access_key,
        &store.region,
    );
    let probe = by_sdk(
        &store,
        &PutRequest {
            key: PROBE_KEY,
            size: 1,
            content_type: None,
            checksum_sha256: None,
            part: None,
            valid_for: Duration::from_secs(60),
            signed_at: SystemTime::now(),
        },
    )
    .await;
    let base = Base::from_probe(&probe.url).unwrap();
    let night = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_599);
    for at in [night, night + Duration::from_secs(2), night] {
        let request = PutRequest {
            key: "k/original",
            size: 10,
            content_type: Some("image/png"),
            checksum_sha256: None,
            part: None,
            valid_for: Duration::from_secs(60),
            signed_at: at,
        };
        let ours = signer.presign(&base, &request);
        assert_eq!(ours.url, by_sdk(&store, &request).await.url);
    }
}

#[tokio::test]
async fn the_store_signs_addresses_itself_once_it_knows_the_base() {
    let store = ObjectStore::new(&settings(Some("http://127.0.0.1:9000"), true, "us-east-1"));
    let presigned = store
        .presign_put(
            "ab/original",
            5,
            "image/jpeg",
            None,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert!(
        presigned
            .url
            .starts_with("http://127.0.0.1:9000/family-photos/ab/original?"),
        "{}",
        presigned.url
    );
    assert_eq!(
        presigned.headers.get("content-length").map(String::as_str),
        Some("5")
    );
}

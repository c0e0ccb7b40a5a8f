"""A CloudFront URL signer and checker nobody on this project wrote, for the edge's tests.

    sign PRIVATE_PEM KEY_PAIR_ID URL EXPIRES [SOURCE_IP]
        prints URL signed by botocore's CloudFrontSigner: a canned policy, or a custom
        policy with an IP condition when SOURCE_IP is given.
    verify PUBLIC_PEM SIGNED_URL
        checks a signed URL's RSA-SHA1 signature over its policy with `cryptography`;
        prints "ok", or exits 1.
"""

import base64
import datetime
import sys
import urllib.parse

from botocore.signers import CloudFrontSigner
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


def cloudfront_b64decode(text):
    return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"))


def sign(private_pem, key_pair_id, url, expires, source_ip=None):
    with open(private_pem, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)

    def rsa_signer(message):
        return key.sign(message, padding.PKCS1v15(), hashes.SHA1())

    signer = CloudFrontSigner(key_pair_id, rsa_signer)
    until = datetime.datetime.fromtimestamp(int(expires), tz=datetime.timezone.utc)
    if source_ip is None:
        return signer.generate_presigned_url(url, date_less_than=until)
    policy = signer.build_policy(url, until, ip_address=source_ip)
    return signer.generate_presigned_url(url, policy=policy)


def verify(public_pem, signed_url):
    with open(public_pem, "rb") as f:
        key = serialization.load_pem_public_key(f.read())
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(signed_url).query))
    policy = cloudfront_b64decode(query["Policy"])
    signature = cloudfront_b64decode(query["Signature"])
    key.verify(signature, policy, padding.PKCS1v15(), hashes.SHA1())
    return "ok"


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    try:
        print(sign(*args) if command == "sign" else verify(*args))
    except InvalidSignature:
        print("signature does not verify", file=sys.stderr)
        sys.exit(1)

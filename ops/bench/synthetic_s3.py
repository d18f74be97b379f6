#!/usr/bin/env python3
"""A synthetic S3 for listing benchmarks: virtual buckets of N generated objects, served on loopback, storing nothing.

A benchmark tool only, never a stand-in for S3 in tests. Keys are `clients/NNNNN/KIND/file-NNNNNNNN.bin`, object i of
a bucket in S3's byte order (the key grows with i), with a size and an ETag derived from the key. A bucket can be the
same set with a share of objects missing, changed (another ETag) or extra (`…bin~extra` keys between two others).

Answers, path-style, as S3 shapes them: ListObjectsV2 (`prefix`, `delimiter`, `start-after`, `continuation-token`,
`max-keys`, `encoding-type=url`), HeadBucket, GetBucketVersioning (Enabled), GetBucketLocation, HeadObject, CopyObject
and DeleteObject(s) (answered with success, nothing stored). Any signature is accepted.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html

usage: synthetic_s3.py [--port P] BUCKET=N[:missing=BP,changed=BP,extra=BP] ...   (BP: basis points, 100 = 1 %)
Prints the port on the first line, then serves until its standard input closes, then prints the requests it served.
  synthetic_s3.py src=1000000 dst=1000000:missing=50,changed=25,extra=25
"""
import base64
import hashlib
import http.server
import itertools
import sys
import threading
import urllib.parse
from xml.sax.saxutils import escape

KINDS = ("audio", "images", "journal")  # in byte order
MODIFIED = "2026-11-30T02:00:00.000Z"
KEY_LIMIT = "\x7f"  # above every character a key holds: prefix + KEY_LIMIT bounds every key under the prefix


class Bucket:
    """N objects, object i's key growing with i, some missing, changed or doubled by an extra."""

    def __init__(self, spec):
        name, _, rest = spec.partition("=")
        count, _, shares = rest.partition(":")
        self.name, self.count = name, int(count)
        share = dict(part.split("=") for part in shares.split(",") if part)
        self.missing, self.changed, self.extra = (int(share.get(k, 0)) for k in ("missing", "changed", "extra"))
        self.per_client = max(1, min(2_000, self.count))

    @staticmethod
    def draw(index, salt):
        """A number in [0, 10000) fixed by the object and the question."""
        return (index * 2654435761 + salt * 40503) % 4294967296 % 10_000

    def key(self, index):
        client, within = divmod(index, self.per_client)
        kind = KINDS[within * len(KINDS) // self.per_client]
        return f"clients/{client:05d}/{kind}/file-{index:08d}.bin"

    def slots(self, index):
        """The objects at index: its own key unless missing, then its extra if it has one."""
        key = self.key(index)
        if self.draw(index, 1) >= self.missing:
            yield key, index, self.draw(index, 2) < self.changed
        if self.draw(index, 3) < self.extra:
            yield key + "~extra", index, True

    def first_at_or_after(self, text):
        """The smallest index whose key is >= text (binary search: keys grow with the index)."""
        low, high = 0, self.count
        while low < high:
            middle = (low + high) // 2
            if self.key(middle) < text:
                low = middle + 1
            else:
                high = middle
        return low

    @staticmethod
    def etag(key, changed):
        return hashlib.md5((key + ("~changed" if changed else "")).encode()).hexdigest()

    @staticmethod
    def size(index):
        return 1_024 + index * 7_919 % 1_000_000

    def list(self, prefix, delimiter, after, limit):
        """(objects, common prefixes, truncated, last name returned): S3's page after `after` (exclusive)."""
        objects, prefixes, last = [], [], None
        index = self.first_at_or_after(max(prefix, after))
        while index < self.count:
            for key, number, changed in self.slots(index):
                if not key.startswith(prefix):
                    return objects, prefixes, False, last
                if key <= after:
                    continue
                if len(objects) + len(prefixes) == limit:
                    return objects, prefixes, True, last
                cut = key.find(delimiter, len(prefix)) if delimiter else -1
                if cut >= 0:
                    common = key[:cut + len(delimiter)]
                    prefixes.append(common)
                    last = common
                    index = self.first_at_or_after(common + KEY_LIMIT) - 1
                    break
                objects.append((key, self.size(number), self.etag(key, changed)))
                last = key
            index += 1
        return objects, prefixes, False, last


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    buckets = {}
    served = itertools.count()  # next() is atomic under the GIL

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=(), length=None):
        next(self.served)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        if body:
            self.send_header("Content-Type", "application/xml")
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def target(self):
        url = urllib.parse.urlsplit(self.path)
        bucket, _, key = url.path.lstrip("/").partition("/")
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        return self.buckets.get(bucket), urllib.parse.unquote(key), query

    def missing(self, bucket):
        body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code>'
                f'<Message>The specified bucket does not exist</Message><BucketName>{escape(bucket)}</BucketName></Error>')
        self.answer(404, body.encode())

    def do_HEAD(self):
        bucket, key, _ = self.target()
        if bucket is None:
            return self.answer(404)
        if not key:
            return self.answer(200, headers=[("x-amz-bucket-region", "us-east-1")])
        index = bucket.first_at_or_after(key.removesuffix("~extra"))
        for name, number, changed in bucket.slots(index) if index < bucket.count else ():
            if name == key:
                return self.answer(200, headers=[("ETag", f'"{bucket.etag(name, changed)}"'),
                                                 ("Last-Modified", "Mon, 30 Nov 2026 02:00:00 GMT")],
                                   length=bucket.size(number))
        self.answer(404)

    def do_GET(self):
        bucket, key, query = self.target()
        if bucket is None:
            return self.missing(self.path.lstrip("/").split("/")[0].split("?")[0])
        if "versioning" in query:
            return self.answer(200, b'<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration '
                                    b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status>'
                                    b'</VersioningConfiguration>')
        if "location" in query:
            return self.answer(200, b'<?xml version="1.0" encoding="UTF-8"?><LocationConstraint '
                                    b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>')
        first = lambda name, default="": query.get(name, [default])[0]
        prefix, delimiter = first("prefix"), first("delimiter")
        token = first("continuation-token")
        after = base64.urlsafe_b64decode(token).decode() if token else first("start-after")
        limit = max(0, min(int(first("max-keys", "1000")), 1000))
        url = first("encoding-type") == "url"
        shown = (lambda text: urllib.parse.quote(text, safe="/")) if url else escape
        objects, prefixes, truncated, last = bucket.list(prefix, delimiter, after, limit)
        parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
                 f"<Name>{bucket.name}</Name><Prefix>{shown(prefix)}</Prefix>"]
        if token:
            parts.append(f"<ContinuationToken>{token}</ContinuationToken>")
        if first("start-after"):
            parts.append(f"<StartAfter>{shown(first('start-after'))}</StartAfter>")
        parts.append(f"<KeyCount>{len(objects) + len(prefixes)}</KeyCount><MaxKeys>{limit}</MaxKeys>")
        if delimiter:
            parts.append(f"<Delimiter>{shown(delimiter)}</Delimiter>")
        if url:
            parts.append("<EncodingType>url</EncodingType>")
        parts.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
        if truncated:
            parts.append(f"<NextContinuationToken>{base64.urlsafe_b64encode(last.encode()).decode()}</NextContinuationToken>")
        parts += [f"<Contents><Key>{shown(name)}</Key><LastModified>{MODIFIED}</LastModified><ETag>&quot;{etag}&quot;</ETag>"
                  f"<Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents>" for name, size, etag in objects]
        parts += [f"<CommonPrefixes><Prefix>{shown(common)}</Prefix></CommonPrefixes>" for common in prefixes]
        parts.append("</ListBucketResult>")
        self.answer(200, "".join(parts).encode())

    def do_PUT(self):
        bucket, key, _ = self.target()
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if bucket is None:
            return self.answer(404)
        etag = hashlib.md5(key.encode()).hexdigest()
        if self.headers.get("x-amz-copy-source"):
            return self.answer(200, (f'<?xml version="1.0" encoding="UTF-8"?><CopyObjectResult><LastModified>{MODIFIED}'
                                     f'</LastModified><ETag>&quot;{etag}&quot;</ETag></CopyObjectResult>').encode())
        self.answer(200, headers=[("ETag", f'"{etag}"')])

    def do_DELETE(self):
        self.answer(204)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        deleted = "".join(f"<Deleted><Key>{part.split('</Key>')[0]}</Key></Deleted>" for part in body.split("<Key>")[1:])
        self.answer(200, f'<?xml version="1.0" encoding="UTF-8"?><DeleteResult>{deleted}</DeleteResult>'.encode())


def main(arguments):
    port = 0
    if arguments[:1] == ["--port"]:
        port, arguments = int(arguments[1]), arguments[2:]
    Handler.buckets = {bucket.name: bucket for bucket in map(Bucket, arguments)}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    server.shutdown()
    print(f"requests {next(Handler.served)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

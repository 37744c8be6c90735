#!/usr/bin/python3
"""Registry fixture for test_registry.sh and the pin bench (issue 22).

  regfix.py up DIR        a CA, a TLS server certificate for 127.0.0.1, an
                          htpasswd user; registry A (htpasswd, Basic) and
                          registry B (token auth, Bearer) on one storage, a
                          token server in front of B, a flaky server (429,
                          503); all on 127.0.0.1, free ports, pid files in
                          DIR; DIR/env holds the names the tests read
  regfix.py down DIR      stop what up started, by pid
  regfix.py push DIR REPO TAG [--index] [--size BYTES] [--plain HOST:PORT]
                          upload an image (or a two-platform index) to A
                          (or to a loopback registry without TLS nor auth)
                          over the registry API; prints its digest(s)
  regfix.py serve-token DIR / serve-flaky DIR    (started by up)

Debian's docker-registry is the registry; python3-jwt and
python3-cryptography sign the tokens. Nothing listens off loopback.
"""
import base64, datetime, hashlib, http.server, json, os, secrets, socket, ssl
import subprocess, sys, time, urllib.parse, urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import ipaddress

ISSUER = "sandrun-test-issuer"
SERVICE = "sandrun-test-registry"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def write(path, data, mode=0o600):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


def make_cert(cn, key, issuer_cert=None, issuer_key=None, ca=False):
    now = datetime.datetime.utcnow()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    b = (x509.CertificateBuilder().subject_name(name)
         .issuer_name(issuer_cert.subject if issuer_cert else name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(minutes=5))
         .not_valid_after(now + datetime.timedelta(days=2))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        b = b.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False)
    return b.sign(issuer_key or key, hashes.SHA256())


def pem(obj):
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM)
    return obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def env_of(d):
    env = {}
    with open(os.path.join(d, "env")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            env[k] = v
    return env


def registry_config(d, name, port, auth):
    return f"""version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: {d}/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
  tls:
    certificate: {d}/server.crt
    key: {d}/server.key
auth:
{auth}
"""


def spawn(d, name, argv, env=None):
    log = open(os.path.join(d, name + ".log"), "ab")
    p = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                         env=env, start_new_session=True)
    write(os.path.join(d, name + ".pid"), str(p.pid))
    return p


def wait_up(d, port, timeout=20):
    ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.crt"))
    end = time.time() + timeout
    while time.time() < end:
        try:
            urllib.request.urlopen(f"https://127.0.0.1:{port}/v2/", context=ctx, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # 401: it answers
        except Exception:
            time.sleep(0.1)
    sys.exit(f"regfix: nothing answers on 127.0.0.1:{port}")


def up(d):
    os.makedirs(d, exist_ok=True)
    cakey = ec.generate_private_key(ec.SECP256R1())
    ca = make_cert("sandrun test CA", cakey, ca=True)
    skey = ec.generate_private_key(ec.SECP256R1())
    srv = make_cert("127.0.0.1", skey, ca, cakey)
    jkey = ec.generate_private_key(ec.SECP256R1())
    jcert = make_cert("sandrun test token signer", jkey, ca=True)
    write(f"{d}/ca.crt", pem(ca), 0o644)
    write(f"{d}/server.crt", pem(srv) + pem(ca), 0o644)
    write(f"{d}/server.key", pem(skey))
    write(f"{d}/jwt.crt", pem(jcert), 0o644)
    write(f"{d}/jwt.key", pem(jkey))
    user, pw, idt = "sruser", "pw-" + secrets.token_hex(12), "idt-" + secrets.token_hex(12)
    import warnings
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt
    # bcrypt (the only hash the registry reads), cost 4: tests stay fast.
    salt = crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)
    write(f"{d}/htpasswd", f"{user}:{crypt.crypt(pw, salt)}\n")
    pa, pb, pt, pf = free_port(), free_port(), free_port(), free_port()
    env = {"REGA": f"127.0.0.1:{pa}", "REGB": f"127.0.0.1:{pb}", "TOKEN": f"127.0.0.1:{pt}",
           "FLAKY": f"127.0.0.1:{pf}", "REG_USER": user, "REG_PASS": pw, "REG_IDTOKEN": idt,
           "CERTS_D": f"{d}/certs.d", "REG_TTL": os.environ.get("REGFIX_TTL", "300")}
    write(f"{d}/env", "".join(f"{k}={v}\n" for k, v in env.items()))
    for hp in (env["REGA"], env["REGB"], env["TOKEN"]):
        os.makedirs(f"{d}/certs.d/{hp}", exist_ok=True)
        write(f"{d}/certs.d/{hp}/ca.crt", pem(ca), 0o644)
    os.makedirs(f"{d}/storage", exist_ok=True)
    write(f"{d}/rega.yml", registry_config(d, "a", pa, f"""  htpasswd:
    realm: sandrun-test
    path: {d}/htpasswd"""))
    write(f"{d}/regb.yml", registry_config(d, "b", pb, f"""  token:
    realm: https://127.0.0.1:{pt}/token
    service: {SERVICE}
    issuer: {ISSUER}
    rootcertbundle: {d}/jwt.crt"""))
    spawn(d, "rega", ["docker-registry", "serve", f"{d}/rega.yml"])
    spawn(d, "regb", ["docker-registry", "serve", f"{d}/regb.yml"])
    me = os.path.abspath(__file__)
    spawn(d, "flaky", [sys.executable, me, "serve-flaky", d])
    spawn(d, "token", [sys.executable, me, "serve-token", d])
    for p in (pa, pb, pt):
        wait_up(d, p)


def down(d):
    for name in ("rega", "regb", "token", "flaky"):
        path = os.path.join(d, name + ".pid")
        try:
            pid = int(open(path).read())
            os.kill(pid, 15)
            for _ in range(50):
                os.kill(pid, 0)
                time.sleep(0.05)
            os.kill(pid, 9)
        except (OSError, ValueError):
            pass
        try:
            os.unlink(path)
        except OSError:
            pass


class Quiet(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def watchdog(d):
    """Stop everything up started when DIR goes away (the test's temp dir
    removed after an interrupted run) or after an hour."""
    import threading

    def watch():
        end = time.time() + 3600
        while os.path.exists(os.path.join(d, "env")) and time.time() < end:
            time.sleep(1)
        for name in ("rega", "regb", "flaky"):
            try:
                os.kill(PIDS[name], 15)
            except (KeyError, OSError):
                pass
        os._exit(0)

    for name in ("rega", "regb", "flaky"):
        try:
            PIDS[name] = int(open(os.path.join(d, name + ".pid")).read())
        except (OSError, ValueError):
            pass
    threading.Thread(target=watch, daemon=True).start()


PIDS = {}


def serve_token(d):
    import jwt
    env = env_of(d)
    key = open(f"{d}/jwt.key", "rb").read()
    x5c = base64.b64encode(x509.load_pem_x509_certificate(open(f"{d}/jwt.crt", "rb").read())
                           .public_bytes(serialization.Encoding.DER)).decode()
    ttl = int(env["REG_TTL"])
    logf = open(f"{d}/tokenserver.log", "a", buffering=1)

    def issue(h, who, scopes):
        now = int(time.time())
        access = []
        for sc in scopes:
            parts = sc.split(":")
            if len(parts) == 3 and parts[0] == "repository" and who:
                access.append({"type": "repository", "name": parts[1], "actions": ["pull"]})
        tok = jwt.encode({"iss": ISSUER, "sub": who or "", "aud": SERVICE, "exp": now + ttl,
                          "nbf": now - 10, "iat": now, "jti": secrets.token_hex(8),
                          "access": access}, key, algorithm="ES256", headers={"x5c": [x5c]})
        logf.write(f"token {h.command} user={who or '-'} scope={' '.join(scopes)}\n")
        body = json.dumps({"token": tok, "access_token": tok, "expires_in": ttl}).encode()
        h.reply(200, body, [("Content-Type", "application/json")])

    def deny(h, why):
        logf.write(f"denied {h.command} {why}\n")
        h.reply(401, json.dumps({"errors": [{"code": "UNAUTHORIZED",
                                             "message": "invalid username or password"}]})
                .encode(), [("Content-Type", "application/json")])

    class H(Quiet):
        def do_GET(self):
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            a = self.headers.get("Authorization", "")
            who = None
            if a.startswith("Basic "):
                u, _, p = base64.b64decode(a[6:]).decode().partition(":")
                if u != env["REG_USER"] or p != env["REG_PASS"]:
                    return deny(self, f"user={u}")
                who = u
            issue(self, who, q.get("scope", []))

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            f = urllib.parse.parse_qs(self.rfile.read(n).decode())
            if f.get("grant_type") != ["refresh_token"] or f.get("refresh_token") != [env["REG_IDTOKEN"]]:
                return deny(self, "refresh_token")
            issue(self, env["REG_USER"], f.get("scope", []))

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(env["TOKEN"].split(":")[1])), H)
    watchdog(d)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(f"{d}/server.crt", f"{d}/server.key")
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


def serve_flaky(d):
    """Plain HTTP (loopback): flaky/once answers 429 (Retry-After: 1) to its
    first request, then the manifest; flaky/always answers 503 (Retry-After: 0)."""
    env = env_of(d)
    body = json.dumps({"schemaVersion": 2, "mediaType":
                       "application/vnd.oci.image.manifest.v1+json"}).encode()
    dg = "sha256:" + hashlib.sha256(body).hexdigest()
    seen = {}
    logf = open(f"{d}/flaky.log", "a", buffering=1)

    class H(Quiet):
        def do_GET(self):
            logf.write(f"{self.command} {self.path}\n")
            repo = self.path.split("/manifests/")[0]
            seen[repo] = seen.get(repo, 0) + 1
            if repo.endswith("flaky/once") and seen[repo] == 1:
                return self.reply(429, b"{}", [("Retry-After", "1")])
            if repo.endswith("flaky/always"):
                return self.reply(503, b"{}", [("Retry-After", "0")])
            self.reply(200, body, [("Docker-Content-Digest", dg), ("Content-Type",
                                   "application/vnd.oci.image.manifest.v1+json")])
        do_HEAD = do_GET

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(env["FLAKY"].split(":")[1])), H)
    srv.serve_forever()


class Pusher:
    def __init__(self, d, plain=None):
        self.env = env_of(d) if not plain else {}
        self.ctx = ssl.create_default_context(cafile=f"{d}/ca.crt") if not plain else None
        self.base = f"http://{plain}" if plain else f"https://{self.env['REGA']}"
        self.auth = None if plain else "Basic " + base64.b64encode(
            f"{self.env['REG_USER']}:{self.env['REG_PASS']}".encode()).decode()

    def req(self, method, url, data=None, ctype=None):
        r = urllib.request.Request(url if url.startswith("http") else self.base + url,
                                   data=data, method=method)
        if self.auth:
            r.add_header("Authorization", self.auth)
        if ctype:
            r.add_header("Content-Type", ctype)
        return urllib.request.urlopen(r, context=self.ctx, timeout=600)

    def blob(self, repo, data):
        dg = "sha256:" + hashlib.sha256(data).hexdigest()
        try:
            self.req("HEAD", f"/v2/{repo}/blobs/{dg}")
            return dg, len(data)
        except urllib.error.HTTPError:
            pass
        loc = self.req("POST", f"/v2/{repo}/blobs/uploads/", b"").headers["Location"]
        loc = urllib.parse.urljoin(self.base + "/", loc)
        sep = "&" if "?" in loc else "?"
        self.req("PUT", f"{loc}{sep}digest={dg}", data, "application/octet-stream")
        return dg, len(data)

    def manifest(self, repo, ref, body, mt):
        self.req("PUT", f"/v2/{repo}/manifests/{ref}", body, mt)
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def image(self, repo, tag, arch="amd64", size=1024):
        cfg = json.dumps({"architecture": arch, "os": "linux", "rootfs": {"type": "layers",
                          "diff_ids": []}, "config": {}, "created": time.time(),
                          "nonce": secrets.token_hex(8)}).encode()
        cd, cl = self.blob(repo, cfg)
        layers = []
        while size > 0:
            n = min(size, 64 << 20)
            ld, ll = self.blob(repo, os.urandom(n))
            layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld,
                           "size": ll})
            size -= n
        mt = "application/vnd.oci.image.manifest.v1+json"
        body = json.dumps({"schemaVersion": 2, "mediaType": mt, "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cl},
            "layers": layers}).encode()
        return self.manifest(repo, tag, body, mt), len(body)


def push(d, repo, tag, index=False, size=1024, plain=None):
    p = Pusher(d, plain)
    if not index:
        print(p.image(repo, tag, size=size)[0])
        return
    mt = "application/vnd.oci.image.manifest.v1+json"
    entries, digests = [], []
    for arch in ("amd64", "arm64"):
        dg, n = p.image(repo, f"{tag}-{arch}", arch)
        plat = {"os": "linux", "architecture": arch}
        if arch == "arm64":
            plat["variant"] = "v8"
        entries.append({"mediaType": mt, "digest": dg, "size": n, "platform": plat})
        digests.append(dg)
    imt = "application/vnd.oci.image.index.v1+json"
    body = json.dumps({"schemaVersion": 2, "mediaType": imt, "manifests": entries}).encode()
    print(p.manifest(repo, tag, body, imt), *digests)


if __name__ == "__main__":
    cmd, d = sys.argv[1], os.path.abspath(sys.argv[2])
    if cmd == "up":
        up(d)
    elif cmd == "down":
        down(d)
    elif cmd == "push":
        a = sys.argv[3:]
        size = int(a[a.index("--size") + 1]) if "--size" in a else 1024
        plain = a[a.index("--plain") + 1] if "--plain" in a else None
        push(d, a[0], a[1], "--index" in a, size, plain)
    elif cmd == "serve-token":
        serve_token(d)
    elif cmd == "serve-flaky":
        serve_flaky(d)
    else:
        sys.exit(f"regfix: unknown command {cmd}")

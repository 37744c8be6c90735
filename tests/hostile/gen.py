#!/usr/bin/env python3
"""Hostile-spec and hostile-report generator (issue 17).

Seeded, counted cases against the built sandrun on the real engine:

  specs    globs full of dots and metacharacters (collect, oracle.files)
           over symlink farms a harness builds in /work: links to /, /etc,
           the host's sentinel tree, 40-deep directories, names with
           metacharacters and control bytes, FIFOs, sparse giants;
  races    harnesses that keep swapping directories for links while they
           run (cold and warm), and repro runs while the host side swaps
           the saved input's directory for a link;
  reports  genuine reports mutated field by field (paths, names, images,
           spec and spec_hash, control bytes, types, truncation) fed to
           `sandrun repro`, `sandrun report merge` and `sandrun report diff`.

After every batch: the sentinel tree is byte-for-byte unchanged, no marker
file exists anywhere a case aimed at, no raw ESC/BEL reached the terminal,
sandrun exited 0, 1 or 2 (never a signal), and no sandrun container is left.
Exit 0 when every case held, 1 with the findings otherwise.
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time

DOT_COMPONENTS = [".[.]", ".?", ".*", "..", ".", "[.][.]", ".[!a]", "\\.\\.", ".[.-.]", "?[.]",
                  ".[[:punct:]]", "[.]?", ".[^x]"]
META_COMPONENTS = ["*", "?", "[a-z]*", "l", "d", "out", "*[", "[", "\\*", "**", "[!.]*", "a?b",
                   "x\\", "{a,b}", "~", "$HOME", "`id`"]


class Gen:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.counts = {"specs": 0, "spec_refused": 0, "spec_ran": 0, "spec_races": 0, "repro_races": 0, "reports": 0,
                       "repro": 0, "merge": 0, "diff": 0, "report_refused": 0, "findings": 0}
        self.findings = []
        self.work = tempfile.mkdtemp(prefix="sandrun-hostile.")
        self.tag = "sandrun-hostile-PWNED-%d-%d" % (a.seed, os.getpid())
        self.sentinel = os.path.join(self.work, "sentinel")
        self.env = dict(os.environ)
        self.env["SANDRUN_ARTIFACTS"] = os.path.join(self.work, "artifacts")
        self.env["TMPDIR"] = os.path.join(self.work, "tmp")
        os.makedirs(self.env["TMPDIR"])
        self.engine = os.environ.get("SANDRUN_ENGINE", "docker")

    # ---------------------------------------------------------------- host
    def make_sentinel(self):
        os.makedirs(os.path.join(self.sentinel, "sub", "deeper"))
        for i, p in enumerate(["a", "sub/b", "sub/deeper/c", "victim"]):
            with open(os.path.join(self.sentinel, p), "w") as f:
                f.write("sentinel %d\n" % i)
        os.symlink("a", os.path.join(self.sentinel, "link"))
        self.sentinel_digest = self.digest(self.sentinel)

    @staticmethod
    def digest(root):
        h = hashlib.sha256()
        for dp, dns, fns in os.walk(root):
            dns.sort()
            for n in sorted(dns + fns):
                p = os.path.join(dp, n)
                st = os.lstat(p)
                h.update(("%s %o %d %d\n" % (os.path.relpath(p, root), st.st_mode, st.st_uid,
                                             st.st_size)).encode())
                if stat.S_ISREG(st.st_mode):
                    with open(p, "rb") as f:
                        h.update(f.read())
                elif stat.S_ISLNK(st.st_mode):
                    h.update(os.readlink(p).encode())
        return h.hexdigest()

    def markers(self):
        """Marker files a case aimed at, wherever they landed."""
        hits = []
        for d in ["/tmp", "/", "/etc", "/root", self.work, self.sentinel, "/var/tmp"]:
            try:
                hits += [os.path.join(d, n) for n in os.listdir(d) if self.tag in n]
            except OSError:
                pass
        return hits

    def leftovers(self):
        out = subprocess.run([self.engine, "ps", "-aq", "--filter", "label=sandrun.run"],
                             capture_output=True, text=True).stdout.split()
        return out

    def check_host(self, what):
        if self.digest(self.sentinel) != self.sentinel_digest:
            self.find(what, "the sentinel tree changed")
            shutil.rmtree(self.sentinel)
            self.make_sentinel()
        for m in self.markers():
            self.find(what, "marker written on the host: " + m)
            try:
                os.unlink(m)
            except OSError:
                pass
        left = self.leftovers()
        if left:
            self.find(what, "%d leftover container(s)" % len(left))
            subprocess.run([self.engine, "rm", "-f"] + left, capture_output=True)

    def find(self, what, msg):
        self.counts["findings"] += 1
        self.findings.append("%s: %s" % (what, msg))
        print("FINDING %s: %s" % (what, msg), file=sys.stderr)

    def sandrun(self, what, args, timeout=120):
        try:
            p = subprocess.run([self.a.sandrun, "--catalogue", self.a.catalogue] + args,
                               capture_output=True, env=self.env, timeout=timeout, cwd=self.work)
        except subprocess.TimeoutExpired:
            self.find(what, "sandrun did not finish in %ds" % timeout)
            return subprocess.CompletedProcess(args, -1, b"", b"")
        if p.returncode not in (0, 1, 2, 3):
            self.find(what, "exit code %d: %s" % (p.returncode, p.stderr[-300:]))
        for stream in (p.stdout, p.stderr):
            if b"\x1b" in stream or b"\x07" in stream:
                self.find(what, "raw ESC/BEL reached the terminal")
        return p

    # ---------------------------------------------------------------- specs
    def glob(self, dots):
        r = self.rng
        comps = []
        for _ in range(r.randint(1, 6)):
            comps.append(r.choice(DOT_COMPONENTS if dots and r.random() < 0.5
                                  else META_COMPONENTS))
        sent = self.sentinel.lstrip("/")
        tail = r.choice([self.tag, sent + "/" + self.tag, "tmp/" + self.tag, "etc/passwd", "*",
                         "victim"])
        if dots and r.random() < 0.5:
            # The attack: down a 40-deep link, up as many "..".
            comps = ["l"] + [r.choice(DOT_COMPONENTS[:3])] * r.choice([5, 40, 41])
            tail = r.choice(["tmp/" + self.tag, sent + "/victim", sent + "/" + self.tag])
        return "/".join(comps + [tail])

    def farm(self, race):
        """Shell that builds a symlink farm in /work (and maybe races)."""
        r = self.rng
        deep = "/".join(["d"] * 40)
        cmds = ["mkdir -p %s tmp out in" % deep,
                "ln -s %s l" % deep,
                "ln -s / root; ln -s /etc etc; ln -s %s sent; ln -s /tmp/%s pw" % (
                    self.sentinel, self.tag),
                "echo x > tmp/%s; echo x > %s; echo x > in/%s" % (self.tag, self.tag, self.tag),
                # The host's sentinel path inside /work, so that a climb out
                # lands on the real one.
                "mkdir -p .%s && echo pwned > .%s/victim && echo x > .%s/%s" % (
                    self.sentinel, self.sentinel, self.sentinel, self.tag),
                "touch 'out/*' 'out/?' 'out/[a]' \"$(printf 'out/\\033]0;x\\007')\"",
                "mkfifo out/fifo 2>/dev/null; truncate -s 3G out/sparse 2>/dev/null"]
        if r.random() < 0.5:
            cmds.append("ln -s ../../../../../../../../../..%s/victim up" % self.sentinel)
        if race:
            cmds.append("(while :; do rm -rf out; ln -s %s out; rm -f out; ln -s / out; "
                        "rm -f out; mkdir out; echo y > out/y; done) & sleep 0.%d" % (
                            self.sentinel, r.randint(1, 4)))
        if r.random() < 0.3:
            cmds.append("printf '\\033[2J\\007cause\\n' >&2; exit 3")
        return "; ".join(cmds)

    def spec_text(self, i, race):
        r = self.rng
        dots = r.random() < 0.3  # most specs valid, so that they run
        lines = ["name: h%d" % i, "toolchain: busybox",
                 "isolation: %s" % r.choice(["run", "harness"]),
                 "command: %s" % json.dumps(["sh", "-c", self.farm(race)]),
                 "timeout: 10s",
                 "limits: {artifacts: %d, artifact_bytes: %d}" % (r.randint(1, 50),
                                                                  r.choice([1, 4096, 1 << 20])),
                 "collect: %s" % json.dumps([self.glob(dots) for _ in range(r.randint(1, 4))])]
        if r.random() < 0.5:
            lines.append("oracle: {files: %s}" % json.dumps(self.glob(dots)))
        return "\n".join(lines) + "\n"

    def spec_batch(self, n, races):
        suite = os.path.join(self.work, "suite-%d" % self.counts["specs"])
        os.makedirs(suite)
        for i in range(n):
            race = i < races
            with open(os.path.join(suite, "h%d.yaml" % i), "w") as f:
                f.write(self.spec_text(i, race))
            self.counts["specs"] += 1
            self.counts["spec_races"] += race
        # Each spec alone through check (refusals are fast), the valid ones
        # together through run.
        valid = []
        for i in range(n):
            p = os.path.join(suite, "h%d.yaml" % i)
            c = self.sandrun("check h%d" % i, ["check", p])
            if c.returncode == 0:
                valid.append(p)
            else:
                self.counts["spec_refused"] += 1
        if valid:
            self.sandrun("run suite", ["run", "-j", "2", "--report",
                                       "json:" + os.path.join(suite, "r.json")] + valid)
            self.counts["spec_ran"] += len(valid)
        self.check_host("spec batch %s" % suite)

    # ---------------------------------------------------------------- reports
    def base_report(self):
        suite = os.path.join(self.work, "rsuite")
        os.makedirs(suite, exist_ok=True)
        with open(os.path.join(suite, "saved.yaml"), "w") as f:
            f.write('toolchain: busybox\n'
                    'command: ["sh", "-c", "mkdir -p out && echo boom > out/crash-1 && echo boom"]\n'
                    'collect: ["out/*"]\nreproduce: ["sh", "-c", "cat {artifact}"]\n'
                    'oracle: {stdout: boom}\nexpect: confirmed\n')
        r = os.path.join(suite, "base.json")
        self.sandrun("base run", ["run", "--report", "json:" + r, suite])
        with open(r) as f:
            self.base = json.load(f)
        self.rsuite = suite

    def mutate(self, doc):
        r = self.rng
        rec = doc["records"][0]
        ev = rec.setdefault("evidence", {})
        hostile_paths = ["/etc", "/", "../../..", self.sentinel, self.sentinel + "/sub",
                         "/tmp/" + self.tag, "a/../../b", "\x1b]0;x\x07", "-rf", "", ".",
                         "x/" + "../" * 30 + "tmp", "/proc/self/root/etc", 7, None, ["x"]]
        names = ["../" * r.randint(1, 12) + self.sentinel.lstrip("/") + "/victim",
                 "shadow", "passwd", "/etc/passwd", "out/../../victim", "out/crash-1",
                 "\x1b[2J", "out//crash-1", "./out/crash-1", "-x", "out/*", 3]
        ops = [
            lambda: ev.__setitem__("artifact_dir", r.choice(hostile_paths)),
            lambda: ev.__setitem__("artifacts", [r.choice(names) for _ in range(r.randint(0, 3))]),
            lambda: rec.__setitem__("image", r.choice(["--privileged", "-v", "evil:latest",
                                                       "127.0.0.1:5000/evil/x:1", "", 5,
                                                       rec.get("image", "") + "\x1b"])),
            lambda: rec.__setitem__("spec", r.choice(hostile_paths + [
                self.sentinel + "/a", "/etc/passwd", "../rsuite/saved.yaml"])),
            lambda: rec.__setitem__("spec_hash", r.choice(["0" * 16, "", None, 1, "zz"])),
            lambda: rec.__setitem__("cause", "\x1b]0;pwned\x07\x1b[2J" * r.randint(1, 3)),
            lambda: doc["run"].__setitem__("fingerprint", "\x1b]0;fp\x07"),
            lambda: rec.__setitem__("harness", r.choice(["\x1b[31m", "../x", "", 9])),
            lambda: rec.__setitem__("payload", r.choice(["\x07", "nosuch", None])),
            lambda: rec.__setitem__("outcome", r.choice(["crash", "\x1b", 1, None])),
            lambda: rec.__setitem__("repeat", r.choice([0, -1, 1e308, "1", 2 ** 40])),
            lambda: doc.__setitem__("records", [rec] * r.randint(0, 3)),
            lambda: rec.__setitem__("evidence", r.choice([None, [], "x"])),
        ]
        for _ in range(r.randint(1, 4)):
            r.choice(ops)()
        return doc

    def report_case(self, k):
        r = self.rng
        doc = self.mutate(json.loads(json.dumps(self.base)))
        path = os.path.join(self.work, "m%d.json" % k)
        text = json.dumps(doc)
        if r.random() < 0.1:
            text = text[: r.randint(0, len(text))]
        with open(path, "w") as f:
            f.write(text)
        self.counts["reports"] += 1
        race = r.random() < 0.25
        stop = threading.Event()
        if race:
            self.counts["repro_races"] += 1
            t = threading.Thread(target=self.swap_artifacts, args=(stop,))
            t.start()
        p = self.sandrun("repro m%d" % k, ["repro", "--suite", self.rsuite, path, "1"])
        self.counts["repro"] += 1
        if race:
            stop.set()
            t.join()
            self.restore_artifacts()
        if p.returncode == 2:
            self.counts["report_refused"] += 1
        out = os.path.join(self.work, "merged-%d.json" % k)
        self.sandrun("merge m%d" % k, ["report", "merge", "-o", "json:" + out, path,
                                       os.path.join(self.rsuite, "base.json")])
        self.counts["merge"] += 1
        self.sandrun("diff m%d" % k, ["report", "diff", os.path.join(self.rsuite, "base.json"),
                                      path])
        self.counts["diff"] += 1
        self.check_host("report m%d" % k)

    def artifacts_dir(self):
        d = self.base["records"][0]["evidence"].get("artifact_dir") or ""
        return d if d.startswith(self.work) else None

    def swap_artifacts(self, stop):
        """Host-side race: the saved input's directory becomes a link to the
        sentinel and back, while repro reads it."""
        d = self.artifacts_dir()
        if not d:
            return
        out, keep = os.path.join(d, "out"), os.path.join(d, "out.keep")
        while not stop.is_set():
            try:
                os.rename(out, keep)
                os.symlink(self.sentinel, out)
                time.sleep(0.001)
                os.unlink(out)
                os.rename(keep, out)
            except OSError:
                pass

    def restore_artifacts(self):
        d = self.artifacts_dir()
        if not d:
            return
        out, keep = os.path.join(d, "out"), os.path.join(d, "out.keep")
        if os.path.islink(out):
            os.unlink(out)
        if os.path.isdir(keep) and not os.path.exists(out):
            os.rename(keep, out)

    def unmount_work(self):
        """What a killed sandrun left mounted under the work directory."""
        with open("/proc/self/mounts") as f:
            mnts = [l.split()[1] for l in f if l.split()[1].startswith(self.work + "/")]
        for m in sorted(mnts, reverse=True):
            self.find("cleanup", "a /work tmpfs was left mounted: " + m)
            subprocess.run(["umount", "-l", m], capture_output=True)

    # ---------------------------------------------------------------- main
    def run(self):
        t0 = time.time()
        self.make_sentinel()
        left = self.a.specs
        while left > 0:
            n = min(left, 8)
            self.spec_batch(n, min(n, max(0, self.a.races - self.counts["spec_races"])))
            left -= n
        self.base_report()
        for k in range(self.a.reports):
            self.report_case(k)
        self.counts["seconds"] = round(time.time() - t0, 1)
        print("hostile: seed %d: %s" % (self.a.seed, json.dumps(self.counts)))
        self.unmount_work()
        if not self.a.keep_work:
            shutil.rmtree(self.work, ignore_errors=True)
        return 1 if self.findings else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sandrun", required=True)
    ap.add_argument("--catalogue", required=True)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SANDRUN_HOSTILE_SEED", "17")))
    ap.add_argument("--specs", type=int, default=16)
    ap.add_argument("--races", type=int, default=6)
    ap.add_argument("--reports", type=int, default=40)
    ap.add_argument("--keep-work", action="store_true")
    a = ap.parse_args()
    sys.exit(Gen(a).run())


if __name__ == "__main__":
    main()

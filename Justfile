# Strata's own menu: the data recipes a lab project gets, plus the developer recipes.
# `just --list` shows them by group.

import 'strata.just'

# The menu: every recipe, by group (a bare `just` shows this)
[group('try it')]
default:
    @just --list

# Build a throwaway lab project on a plain-folder remote and run a day of recipes in it
[group('try it')]
demo *args:
    @node dist/scripts/demo.js {{args}}

# Compile the TypeScript sources to dist/ (npm install does it too)
[group('develop')]
build:
    npm run build

# Run every test (unit, integration against a local Ceph S3, end to end)
[group('develop')]
test *args:
    npm test -- {{args}}

# Install what the tests need on this machine (Debian packages; run as root or with sudo), then run every test. CI runs this.
[group('develop')]
ready:
    bash .ci/install-deps.sh
    npm test

# Start a local S3 server (Ceph RGW) with a bucket, to try recipes by hand: prints the variables to export; ^C stops it
[group('develop')]
local-s3 bucket="lab": _tools
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true node bench/out/bench/serve.js {{bucket}}

# Start a local Hugging Face Hub emulator, to try Hub layers by hand: prints HF_ENDPOINT and HF_TOKEN; ^C stops it
[group('develop')]
[positional-arguments]
local-hub *args: _tools
    node bench/out/test/hub-emulator/cli.js "$@"

# Draw the browse pages' pictures in docs/img/ from a made-up lab project on a local Ceph S3 (real Chromium)
[group('develop')]
screenshots: build
    STRATA_SCREENSHOTS=1 npx vitest run --project screenshots

# Compile the developer tools (benchmark, local S3, Hub emulator) to bench/out
_tools: build
    npx tsc -p bench/tsconfig.json

# Benchmark Strata against rclone (Debian's and today's), s5cmd and the AWS CLI on a local Ceph S3 and a folder remote (docs/performance.md; --quick: a smoke run, --help: options)
[group('develop')]
[positional-arguments]
bench *args: _tools
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true node bench/out/bench/run.js "$@"

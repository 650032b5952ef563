# Strata's own menu: the data recipes a lab project gets, plus the developer recipes.
# `just --list` shows them by group.

import 'strata.just'

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

# What CI runs: install system packages, then the tests
[group('develop')]
ready:
    bash .ci/run

# Benchmark Strata against rclone and the AWS CLI on a local Ceph S3 (docs/performance.md; --quick: a 2-minute smoke run, --help: options)
[group('develop')]
[positional-arguments]
bench *args: build
    npx tsc -p bench/tsconfig.json
    node bench/out/bench/run.js "$@"

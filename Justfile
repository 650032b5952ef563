# Strata's own menu: the data recipes a lab project gets, plus the developer recipes.
# `just --list` shows them by group.

import 'strata.just'

# Build a throwaway lab project on a plain-folder remote and run a day of recipes in it
[group('try it')]
demo:
    @node dist/scripts/demo.js

# Compile the TypeScript sources to dist/ (done by npm ci too)
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
